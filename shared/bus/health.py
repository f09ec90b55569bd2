"""Whether the broker takes this process's writes: a connection can look open while every publish times out
(a cluster that lost its majority), so readiness and alerts look at confirms, not at the socket."""

import time
import weakref
from typing import Any

from prometheus_client import Gauge

LAST_CONFIRMED = Gauge("portal_bus_last_confirmed_publish_timestamp_seconds",
                       "When the broker last confirmed a publish of this connection (Unix time)", ["connection"])
FAILING_SINCE = Gauge("portal_bus_publish_failing_since_timestamp_seconds",
                      "Since when every publish of this connection has failed (Unix time; 0 while they go through)",
                      ["connection"])
_SHARING: dict[str, "weakref.WeakSet[PublishHealth]"] = {}


class PublishHealth:
    def __init__(self, connection: str, clock: Any = time.time) -> None:
        self._connection, self._clock = connection, clock
        self.last_confirmed: float | None = None
        self.failing_since: float | None = None
        # Read when scraped rather than set for every message confirmed: setting the gauge (its lock) took 1 of the
        # 1.3 µs confirmed() cost a message. Buses of one name in a process share the gauge, as they did.
        sharing = _SHARING.get(connection)
        if sharing is None:
            sharing = _SHARING[connection] = weakref.WeakSet()
            LAST_CONFIRMED.labels(connection).set_function(lambda: max(
                (health.last_confirmed or 0.0 for health in list(sharing)), default=0.0))
        sharing.add(self)
        self._failing_since = FAILING_SINCE.labels(connection)
        self._failing_since.set(0)

    def confirmed(self) -> None:
        self.last_confirmed = self._clock()
        if self.failing_since is not None:
            self.failing_since = None
            self._failing_since.set(0)

    def failed(self) -> None:
        if self.failing_since is None:
            self.failing_since = self._clock()
            self._failing_since.set(self.failing_since)

    def report(self) -> dict[str, Any]:
        now = self._clock()
        status = "failing" if self.failing_since is not None else "ok" if self.last_confirmed else "no_writes_yet"
        return {"status": status,
                "seconds_since_confirmed_publish": None if self.last_confirmed is None
                else round(now - self.last_confirmed, 1),
                "failing_for_seconds": None if self.failing_since is None else round(now - self.failing_since, 1)}
