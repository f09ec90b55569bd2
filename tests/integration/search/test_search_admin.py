"""Staff curate search (synonyms, the query report, rebuilds); reports of submissions on the bus make services
popular."""

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from structlog.testing import capture_logs

from services.search.app import create_app
from services.search.handlers import request_events
from shared.auth import IdentitySigner
from shared.bus import Delivery
from shared.bus.topology import SEARCH_REQUESTS
from shared.contracts.catalog import ServicePublished
from shared.contracts.requests import RequestStatusChanged, Status, SubmissionsCounted
from tests.factories import create_citizen
from tests.integration.search.conftest import create_settings
from tests.integration.search.helpers import (
    Staff,
    create_service_record,
    envelope_for,
    eventually,
    found,
    publish,
    wait_until_found,
)

SYNONYMS = "/api/v1/admin/search/synonyms"
QUERIES = "/api/v1/admin/search/queries"


def delivery(event: RequestStatusChanged | SubmissionsCounted) -> Delivery:
    """The event as the search service's queue delivers it."""
    return Delivery(envelope_for(event), SEARCH_REQUESTS.bindings[0].routing_key, SEARCH_REQUESTS.name)


async def submissions(app: FastAPI, slugs: list[str]) -> dict[str, int]:
    """The submissions counted for the services, as committed."""
    async with app.state.deps.uow(read_only=True) as uow:
        counted: dict[str, int] = await uow.popularity.of(slugs)
    return counted


def create_status_change(service: str, status: Status = "submitted", citizen: str = "12345678"
                         ) -> RequestStatusChanged:
    return RequestStatusChanged(tracking_number=f"ROP-2026-{uuid.uuid4().hex[:6]}-X", service=service, ministry="rop",
                                citizen=citizen, status=status, previous_status=None, actor=f"citizen:{citizen}",
                                changed_at=datetime.now(UTC))


async def test_a_synonym_set_staff_add_works_on_the_next_search_and_stops_when_removed(
        app: FastAPI, client: httpx.AsyncClient, staff: Staff) -> None:
    await publish(app, ServicePublished(service=create_service_record(
        slug="vehicle", title_ar="تجديد ملكية المركبة", title_en="Renew a vehicle registration")))
    await wait_until_found(client, "vehicle", "vehicle")
    assert await found(client, "jalopy") == []

    added = await staff.post(SYNONYMS, {"lang": "en", "phrases": ["jalopy", "vehicle"]})

    assert added.status_code == 201, added.text
    assert await found(client, "jalopy") == ["vehicle"]
    listed = (await staff.get(SYNONYMS, lang="en")).json()["items"]
    assert {"id": added.json()["id"], "lang": "en", "phrases": ["jalopy", "vehicle"]} in listed
    assert (await staff.delete(f"{SYNONYMS}/{added.json()['id']}")).status_code == 204
    assert await found(client, "jalopy") == []


async def test_a_fresh_service_starts_with_the_common_synonym_sets(staff: Staff) -> None:
    sets = (await staff.get(SYNONYMS)).json()["items"]

    assert ["licence", "license"] in [s["phrases"] for s in sets]
    assert ["رخصة قيادة", "رخصة سياقة", "رخصة سواقة"] in [s["phrases"] for s in sets]


async def test_synonyms_that_cannot_work_are_refused_with_a_problem(staff: Staff) -> None:
    wrong_language = await staff.post(SYNONYMS, {"lang": "ar", "phrases": ["سيارة", "car"]})
    again = await staff.post(SYNONYMS, {"lang": "en", "phrases": ["license", "licence"]})
    missing = await staff.delete(f"{SYNONYMS}/999999")
    beyond_any_row = await staff.delete(f"{SYNONYMS}/{2**68}")

    assert (wrong_language.status_code, wrong_language.json()["code"]) == (422, "synonym-language")
    assert (again.status_code, again.json()["code"]) == (422, "synonyms-same")
    assert (missing.status_code, missing.json()["code"]) == (404, "synonyms-not-found")
    assert missing.headers["content-type"] == "application/problem+json"
    assert beyond_any_row.status_code == 422
    assert beyond_any_row.headers["content-type"] == "application/problem+json"
    duplicate = await staff.post(SYNONYMS, {"lang": "en", "phrases": ["vehicle", "car"]})
    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "synonyms-exist")


async def test_only_portal_admins_curate_search(client: httpx.AsyncClient, staff: Staff) -> None:
    citizen = await client.get(SYNONYMS, headers=staff.headers(create_citizen()))
    anonymous = await client.post("/api/v1/admin/search/rebuilds")

    assert citizen.status_code == 403
    assert anonymous.status_code == 401


async def test_staff_see_the_most_frequent_queries_and_those_that_found_nothing_without_identities(
        app: FastAPI, client: httpx.AsyncClient, staff: Staff) -> None:
    await publish(app, ServicePublished(service=create_service_record(slug="passport", title_en="Issue a passport")))
    await wait_until_found(client, "passport", "passport")
    for query in ("Passport", "passport", "12345678 passport", "tractor", "TRACTOR"):
        await found(client, query)

    async def reported() -> dict[str, Any] | None:
        body: dict[str, Any] = (await staff.get(QUERIES)).json()
        return body if ("tractor", 2, 2) in [(q["query"], q["searches"], q["without_results"])
                                             for q in body["without_results"]] else None

    report = await eventually(reported)
    # Waiting for the service to index ran "passport" too, perhaps before it could find anything.
    most_frequent = report["most_frequent"]
    assert [q["query"] for q in most_frequent[:2]] == ["passport", "tractor"]
    assert most_frequent[0]["searches"] >= 4
    assert "12345678" not in json.dumps(report)


async def test_the_query_report_keeps_only_the_latest_queries(
        database_url: str, public_key: str, signer: IdentitySigner, tmp_path: Path) -> None:
    settings = create_settings(database_url, public_key, tmp_path / "index").model_copy(
        update={"query_log_limit": 2})
    app = create_app(settings)
    async with (LifespanManager(app, startup_timeout=30, shutdown_timeout=30),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client):
        staff = Staff(client, signer)
        for query in ("first", "second", "third"):
            await found(client, query)

            async def flushed(q: str = query) -> bool:
                kept = (await staff.get(QUERIES)).json()["most_frequent"]
                return q in [row["query"] for row in kept]

            await eventually(flushed)

        report = (await staff.get(QUERIES)).json()
    assert report["queries_kept"] == 2
    assert {row["query"] for row in report["most_frequent"]} == {"second", "third"}


async def test_a_report_of_submissions_on_the_bus_lifts_a_service_above_an_equal_one(
        app: FastAPI, client: httpx.AsyncClient) -> None:
    for slug in ("a-card", "b-card"):
        await publish(app, ServicePublished(service=create_service_record(slug=slug, title_en="Health card")))
    await wait_until_found(client, "health", "b-card")
    assert await found(client, "health card") == ["a-card", "b-card"]

    with capture_logs() as logs:
        await publish(app, SubmissionsCounted(submissions={"b-card": 1}, counted_at=datetime.now(UTC)))

        # The index takes the new count before the database commits and the count is logged: wait for both.
        async def reranked_and_counted() -> bool:
            return await found(client, "health card") == ["b-card", "a-card"] and \
                any(e["event"] == "submissions_counted" for e in logs)

        await eventually(reranked_and_counted)

    assert await submissions(app, ["a-card", "b-card"]) == {"b-card": 1}


async def test_the_same_report_delivered_twice_is_applied_once(app: FastAPI, client: httpx.AsyncClient) -> None:
    await publish(app, ServicePublished(service=create_service_record(slug="birth", title_en="Birth certificate")))
    await wait_until_found(client, "birth", "birth")
    event_id = str(uuid.uuid4())

    with capture_logs() as logs:
        report = SubmissionsCounted(submissions={"birth": 7}, counted_at=datetime.now(UTC))
        await publish(app, report, event_id=event_id)
        await publish(app, report, event_id=event_id)

        # In one batch or two: either way one copy is applied and the other ignored.
        async def both_handled() -> list[str] | None:
            handled = sorted(e["event"] for e in logs
                             if e["event"] in ("submissions_counted", "duplicate_event_ignored"))
            return handled if len(handled) == 2 else None

        handled = await eventually(both_handled)

    assert handled == ["duplicate_event_ignored", "submissions_counted"]
    assert await submissions(app, ["birth"]) == {"birth": 7}


async def test_a_late_report_never_lowers_a_count_and_a_status_change_queued_before_the_upgrade_is_passed_over(
        app: FastAPI, client: httpx.AsyncClient) -> None:
    for slug in ("a-permit", "b-permit", "c-permit"):
        await publish(app, ServicePublished(service=create_service_record(slug=slug, title_en="Fishing permit")))
    await wait_until_found(client, "fishing", "c-permit")
    apply = request_events(app.state.deps)
    newer = delivery(SubmissionsCounted(submissions={"b-permit": 2, "c-permit": 3}, counted_at=datetime.now(UTC)))
    older = delivery(SubmissionsCounted(submissions={"c-permit": 1}, counted_at=datetime.now(UTC)))
    left_over = delivery(create_status_change("a-permit"))

    await apply([newer, left_over])
    await apply([older, left_over])

    assert await submissions(app, ["a-permit", "b-permit", "c-permit"]) == {"b-permit": 2, "c-permit": 3}
    assert await found(client, "fishing permit") == ["c-permit", "b-permit", "a-permit"]


async def test_a_rebuild_from_the_catalogue_drops_a_service_the_index_missed_the_retirement_of(
        app: FastAPI, client: httpx.AsyncClient, staff: Staff) -> None:
    kept = create_service_record(slug="kept", title_en="Fishing licence")
    await publish(app, ServicePublished(service=kept))
    await publish(app, ServicePublished(service=create_service_record(slug="retired", title_en="Fishing permit")))
    await wait_until_found(client, "fishing", "retired")

    summary = await staff.reindex([kept])

    assert summary["services"] == 1
    assert await found(client, "fishing") == ["kept"]
    assert (await staff.get("/api/v1/admin/search/index")).json() == {"services": 1}


async def test_a_rebuild_that_is_unknown_or_short_of_services_is_refused_with_a_problem(staff: Staff) -> None:
    unknown = await staff.post("/api/v1/admin/search/rebuilds/g-nothing/complete", {"expected": 0})
    build = (await staff.post("/api/v1/admin/search/rebuilds")).json()["build"]
    short = await staff.post(f"/api/v1/admin/search/rebuilds/{build}/complete", {"expected": 3})

    assert (unknown.status_code, unknown.json()["code"]) == (404, "rebuild-not-found")
    assert (short.status_code, short.json()["code"]) == (409, "rebuild-incomplete")


async def test_a_rebuild_batch_with_a_version_no_catalogue_gives_is_refused_with_a_problem(staff: Staff) -> None:
    build = (await staff.post("/api/v1/admin/search/rebuilds")).json()["build"]
    record = create_service_record(slug="oversized", title_en="Fishing licence").model_dump(mode="json")

    refused = await staff.post(f"/api/v1/admin/search/rebuilds/{build}/services",
                               {"services": [record | {"version": 2**63}]})

    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["errors"][0]["field"].endswith("version")
