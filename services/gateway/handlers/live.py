"""Live tracking: status changes from the bus, fanned out to the citizens watching their own requests."""

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Iterator
from dataclasses import dataclass, field
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
WATCHER_BACKLOG = 32


@dataclass(eq=False)
class _Watcher:
    citizen: str
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(WATCHER_BACKLOG))


class LiveHub:
    """Who on this replica is watching which request; nothing is kept once they leave."""

    def __init__(self) -> None:
        self._watchers: dict[str, set[_Watcher]] = {}

    @contextlib.contextmanager
    def watch(self, tracking_number: str, citizen: str) -> Iterator[asyncio.Queue[dict[str, Any]]]:
        watcher = _Watcher(citizen)
        self._watchers.setdefault(tracking_number, set()).add(watcher)
        try:
            yield watcher.queue
        finally:
            watchers = self._watchers.get(tracking_number, set())
            watchers.discard(watcher)
            if not watchers:
                self._watchers.pop(tracking_number, None)

    def publish(self, tracking_number: str, citizen: str, update: dict[str, Any]) -> int:
        delivered = 0
        for watcher in self._watchers.get(tracking_number, set()):
            if watcher.citizen != citizen:
                continue  # never someone else's request, even if they somehow watch its number
            with contextlib.suppress(asyncio.QueueFull):
                watcher.queue.put_nowait(update)
                delivered += 1
        return delivered

    def watching(self, tracking_number: str) -> int:
        return len(self._watchers.get(tracking_number, set()))


def status_update(event: RequestStatusChanged) -> dict[str, Any]:
    """What a citizen's page receives: the request's new state, never who the citizen is."""
    return {"tracking_number": event.tracking_number, "status": event.status,
            "previous_status": event.previous_status, "note": event.note, "actor": event.actor,
            "at": event.changed_at.isoformat()}


async def relay_status_changed(message: Delivery, deps: Deps) -> None:
    """requests.request.status_changed → the owning citizen's open pages on this replica."""
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
    """The current state first, then each change as it happens; None now and then to keep the line open."""
    current = await owned_request(tracking_number, citizen, deps)
    with deps.live.watch(tracking_number, citizen.subject) as queue:
        yield {"tracking_number": tracking_number, "status": current["status"], "previous_status": None,
               "note": None, "actor": None, "at": str(current.get("updated_at")), "initial": True}
        while True:
            try:
                yield await asyncio.wait_for(queue.get(), timeout=heartbeat)
            except TimeoutError:
                yield None
