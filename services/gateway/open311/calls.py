"""What the Open311 facade asks of the services behind the gateway, through the gateway's upstream clients."""

import asyncio
import re
from typing import Any

from services.gateway.adapters.upstream import unavailable
from services.gateway.handlers import Deps, call_upstream, read_json, signed_headers
from shared.auth import Identity
from shared.contracts.catalog import ServiceRecord
from shared.web import Problem

# The catalogue and a citizen's requests come 50 to a page; Open311 answers at most 1,000 requests.
MAX_CATALOGUE_PAGES = 40
MAX_REQUEST_PAGES = 20
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$", re.ASCII)


def _refused(status: int, body: Any, upstream: str) -> Problem:
    """The upstream's own problem, passed on with its code; a 5xx is an outage."""
    if status >= 500 or not isinstance(body, dict):
        return unavailable(upstream)
    return Problem(status, str(body.get("code") or "invalid-input"), str(body.get("detail") or "Not accepted."),
                   **({"errors": body["errors"]} if isinstance(body.get("errors"), list) else {}))


async def catalogue(deps: Deps) -> list[ServiceRecord]:
    records: list[ServiceRecord] = []
    for page in range(1, MAX_CATALOGUE_PAGES + 1):
        status, body = await read_json(deps, "catalog", "/api/v1/services", params={"page": page})
        if status != 200:
            raise _refused(status, body, "catalog")
        records += [ServiceRecord.model_validate(item) for item in body.get("items", [])]
        if not body.get("items") or len(records) >= int(body.get("total", 0)):
            break
    return records


async def service(deps: Deps, code: str) -> ServiceRecord:
    if len(code) > 80 or not SLUG.match(code):
        raise Problem(404, "service-not-found", "There is no such service_code.")
    status, body = await read_json(deps, "catalog", f"/api/v1/services/{code}")
    if status == 404:
        raise Problem(404, "service-not-found", "There is no such service_code.")
    if status != 200:
        raise _refused(status, body, "catalog")
    return ServiceRecord.model_validate(body)


async def services_named(deps: Deps, codes: set[str]) -> dict[str, ServiceRecord]:
    """The records of the services some requests name; one that is gone is simply left out."""
    async def one(code: str) -> ServiceRecord | None:
        try:
            return await service(deps, code)
        except Problem as exc:
            if exc.status == 404:
                return None
            raise

    found = await asyncio.gather(*(one(code) for code in sorted(codes)))
    return {record.slug: record for record in found if record is not None}


async def my_requests(citizen: Identity, deps: Deps) -> list[dict[str, Any]]:
    views: list[dict[str, Any]] = []
    for page in range(1, MAX_REQUEST_PAGES + 1):
        status, body = await read_json(deps, "requests", "/api/v1/requests", citizen, params={"page": page})
        if status != 200:
            raise _refused(status, body, "requests")
        items = list(body.get("items", []))
        views += items
        if len(items) < 50:
            break
    return views


async def my_request(citizen: Identity, deps: Deps, number: str) -> dict[str, Any]:
    status, body = await read_json(deps, "requests", f"/api/v1/requests/{number}", citizen)
    if status != 200:
        raise _refused(status, body, "requests")
    found: dict[str, Any] = body
    return found


async def submit(citizen: Identity, deps: Deps, code: str, fields: dict[str, Any], idempotency_key: str | None
                 ) -> dict[str, Any]:
    extra = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    response = await call_upstream(deps, "requests", "POST", "/api/v1/requests",
                                   headers=signed_headers(citizen, deps, extra), json={"service": code,
                                                                                       "fields": fields})
    try:
        body = response.json()
    except ValueError as exc:
        raise unavailable("requests") from exc
    if response.status_code != 201:
        raise _refused(response.status_code, body, "requests")
    created: dict[str, Any] = body
    return created
