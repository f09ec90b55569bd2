"""Who on this replica is watching which request: the queues live tracking pushes status changes into, and the
bindings that bring this replica the status changes of those requests alone."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from shared.bus import Consumer
from shared.bus.topology import EVENTS, STATUS_CHANGED, subject_key
from shared.logging import get_logger

log = get_logger(__name__)
WATCHER_BACKLOG = 32


@dataclass(eq=False)
class _Watcher:
    citizen: str
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(WATCHER_BACKLOG))


@dataclass(eq=False)
class _Watched:
    """One request's watchers here. `members` counts those watching or on their way in: the binding goes only once
    none is left, and one arriving meanwhile binds again after it (`turn` keeps binds and unbinds in order)."""

    watchers: set[_Watcher] = field(default_factory=set)
    members: int = 0
    bound: bool = False
    turn: asyncio.Lock = field(default_factory=asyncio.Lock)


class LiveHub:
    """Who on this replica is watching which request; nothing is kept once they leave."""

    def __init__(self) -> None:
        self._watched: dict[str, _Watched] = {}
        self._consumer: Consumer | None = None

    def listen_through(self, consumer: Consumer) -> None:
        """The consumer of this replica's live queue: each watched request's status changes are bound to it."""
        self._consumer = consumer

    @contextlib.asynccontextmanager
    async def watch(self, tracking_number: str, citizen: str) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        """The request's status changes for this citizen, from the moment this is entered (its binding made)."""
        watcher = _Watcher(citizen)
        watched = self._watched.setdefault(tracking_number, _Watched())
        watched.members += 1
        try:
            async with watched.turn:
                await self._bind(tracking_number, watched)
                watched.watchers.add(watcher)
            yield watcher.queue
        finally:
            await asyncio.shield(self._leave(tracking_number, watched, watcher))

    async def _bind(self, tracking_number: str, watched: _Watched) -> None:
        if watched.bound or self._consumer is None:
            return
        try:
            await self._consumer.bind(EVENTS, subject_key(STATUS_CHANGED, tracking_number))
        except Exception as exc:
            # The page still shows the current status; the next watcher of this request tries again.
            log.warning("live_watch_unbound", error=type(exc).__name__)
            return
        watched.bound = True

    async def _leave(self, tracking_number: str, watched: _Watched, watcher: _Watcher) -> None:
        async with watched.turn:
            watched.watchers.discard(watcher)
            watched.members -= 1
            if watched.members:
                return
            if watched.bound and self._consumer is not None:
                watched.bound = False
                try:
                    await self._consumer.unbind(EVENTS, subject_key(STATUS_CHANGED, tracking_number))
                except Exception as exc:
                    # A binding left behind brings changes nobody here watches: read no further (relay_status_changed).
                    log.warning("live_watch_not_unbound", error=type(exc).__name__)
            if not watched.members and self._watched.get(tracking_number) is watched:
                del self._watched[tracking_number]

    def publish(self, tracking_number: str, citizen: str, update: dict[str, Any]) -> int:
        delivered = 0
        watched = self._watched.get(tracking_number)
        for watcher in watched.watchers if watched is not None else ():
            if watcher.citizen != citizen:
                continue  # never someone else's request, even if they somehow watch its number
            with contextlib.suppress(asyncio.QueueFull):
                watcher.queue.put_nowait(update)
                delivered += 1
        return delivered

    def watching(self, tracking_number: str) -> int:
        watched = self._watched.get(tracking_number)
        return len(watched.watchers) if watched is not None else 0
