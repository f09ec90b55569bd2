"""Who on this replica is watching which request: the queues live tracking pushes status changes into."""

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

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
