import asyncio
import time
from collections.abc import Hashable


class KeptFor:
    """Values kept a while by key: what anyone may ask for often is computed at most once per period."""

    def __init__(self, seconds: float = 60.0, most: int = 1000) -> None:
        self._seconds, self._most = seconds, most
        self._kept: dict[Hashable, tuple[float, object]] = {}
        # What is not kept is computed one at a time: a burst of different periods queues, it does not pile up.
        self.computing = asyncio.Lock()

    def get(self, key: Hashable) -> object | None:
        kept = self._kept.get(key)
        return kept[1] if kept is not None and time.monotonic() - kept[0] < self._seconds else None

    def put(self, key: Hashable, value: object) -> None:
        if len(self._kept) >= self._most:
            self._kept.clear()
        self._kept[key] = (time.monotonic(), value)
