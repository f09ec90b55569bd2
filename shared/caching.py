"""Values kept for a while: what anyone may ask for often is worked out at most once per period.

cachetools' TTLCache does the keeping (expiry, and the least recently used leaving first when full); this wraps
it with an injectable clock and the two names every caller needs."""

import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from cachetools import TTLCache

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class KeptFor(Generic[K, V]):
    def __init__(self, seconds: float, most: int = 1000, clock: Callable[[], float] = time.monotonic) -> None:
        self._kept: TTLCache[K, V] = TTLCache(maxsize=most, ttl=seconds, timer=clock)

    def get(self, key: K) -> V | None:
        return self._kept.get(key)

    def put(self, key: K, value: V) -> None:
        self._kept[key] = value

    def forget(self, key: K | None = None) -> None:
        """Forget one value (or all of them): the next ask works it out again."""
        if key is None:
            self._kept.clear()
        else:
            self._kept.pop(key, None)
