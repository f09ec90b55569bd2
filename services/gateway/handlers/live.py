"""Live tracking: status changes from the bus, fanned out to the citizens watching their own requests."""

import asyncio
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from services.gateway.handlers.deps import Deps
from services.gateway.handlers.upstream import read_json
from shared.auth import Identity
from shared.bus import Delivery, Rejected
from shared.contracts.requests import RequestStatusChanged
from shared.logging import get_logger
from shared.web import Problem

log = get_logger(__name__)


def status_update(event: RequestStatusChanged) -> dict[str, Any]:
    """What a citizen's page receives: the request's new state, never who the citizen is."""
    return {"tracking_number": event.tracking_number, "status": event.status,
            "previous_status": event.previous_status, "note": event.note, "actor": event.actor,
            "at": event.changed_at.isoformat()}


async def relay_status_changed(message: Delivery, deps: Deps) -> None:
    """A watched request's status change → its citizen's open pages on this replica."""
    tracking_number = message.envelope.data.get("tracking_number")
    if isinstance(tracking_number, str) and not deps.live.watching(tracking_number):
        # Its last watcher here left as it came: validating it (most of its cost here) would push it to nobody.
        return
    try:
        event = RequestStatusChanged.model_validate(message.envelope.data)
    except ValidationError as exc:
        raise Rejected("not a status change the gateway understands") from exc
    delivered = deps.live.publish(event.tracking_number, event.citizen, status_update(event))
    if delivered:
        log.info("live_status_pushed", status=event.status, watchers=delivered)


async def owned_request(tracking_number: str, citizen: Identity, deps: Deps) -> dict[str, Any]:
    """The request as the requests service shows it to this citizen: its answer decides who may watch."""
    status, body = await read_json(deps, "requests", f"/api/v1/requests/{tracking_number}", citizen)
    if status != 200:
        code = body.get("code", "not-found") if isinstance(body, dict) else "not-found"
        detail = body.get("detail", "There is no such request.") if isinstance(body, dict) else "Not found."
        raise Problem(status if 400 <= status < 500 else 503, code, detail)
    found: dict[str, Any] = body
    return found


async def live_updates(tracking_number: str, citizen: Identity, deps: Deps,
                       heartbeat: float = 15.0) -> AsyncGenerator[dict[str, Any] | None, None]:
    """The current state first, then each change as it happens; None now and then to keep the line open.

    Watched before the current state is read: a change made while it is read is queued, where once it was missed
    until the next. A queued change the state read already shows (or older) is not sent after it."""
    async with deps.live.watch(tracking_number, citizen.subject) as queue:
        current = await owned_request(tracking_number, citizen, deps)
        shown = _moment(current.get("updated_at"))
        yield {"tracking_number": tracking_number, "status": current["status"], "previous_status": None,
               "note": None, "actor": None, "at": str(current.get("updated_at")), "initial": True}
        while True:
            try:
                update = await asyncio.wait_for(queue.get(), timeout=heartbeat)
            except TimeoutError:
                yield None
                continue
            at = _moment(update.get("at"))
            if shown is not None and at is not None and at <= shown:
                continue
            yield update


def _moment(value: object) -> datetime | None:
    """An ISO 8601 time with its offset, or None (then nothing is compared)."""
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None
