"""A circuit breaker, one per thing that can fail on its own (an upstream service, an SMTP relay, an SMS
provider), so that one dead dependency slows nothing else.

Written here rather than taken from a library: pybreaker's async support is Tornado's, and this one needs an
injectable clock (fast tests) and a half-open state that lets exactly one probe through.

closed: calls go through; `failure_threshold` failures in a row open it.
open: no calls for `reset_seconds` (callers wait or answer 503, never pile up on it).
half-open: one probe goes through; success closes the breaker, failure opens it again.
"""

import time
from collections.abc import Callable
from typing import Literal

from prometheus_client import Gauge

from shared.logging import get_logger

log = get_logger(__name__)
BreakerState = Literal["closed", "open", "half_open"]
_STATE_VALUE: dict[BreakerState, int] = {"closed": 0, "half_open": 1, "open": 2}


class CircuitBreaker:
    """`gauge`, when given, shows the state by the breaker's name: 0 closed, 1 half-open, 2 open."""

    def __init__(self, name: str, *, failure_threshold: int = 5, reset_seconds: float = 30.0,
                 clock: Callable[[], float] = time.monotonic, gauge: Gauge | None = None) -> None:
        if failure_threshold < 1 or reset_seconds <= 0:
            raise ValueError("a breaker needs a threshold of at least 1 and a positive reset time")
        self.name = name
        self._threshold, self._reset, self._clock, self._gauge = failure_threshold, reset_seconds, clock, gauge
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False
        self.trips = 0
        self._publish()

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return "closed"
        if self._probing or self._clock() - self._opened_at >= self._reset:
            return "half_open"
        return "open"

    def retry_in(self) -> float:
        """Seconds until a call may go through again (0 when one may now)."""
        if self._opened_at is None or self._probing:
            return 0.0
        return max(0.0, self._opened_at + self._reset - self._clock())

    def allow(self) -> bool:
        """May a call go through now? In half-open, True once: the probe; the others wait for its result."""
        state = self.state
        if state == "closed":
            return True
        if state == "open" or self._probing:
            return False
        self._probing = True
        self._publish()
        log.info("breaker_probing", breaker=self.name)
        return True

    def succeeded(self) -> None:
        if self._opened_at is not None:
            log.info("breaker_closed", breaker=self.name)
        self._failures, self._opened_at, self._probing = 0, None, False
        self._publish()

    def failed(self) -> None:
        self._failures += 1
        if self._probing or (self._opened_at is None and self._failures >= self._threshold):
            self._opened_at, self._probing = self._clock(), False
            self.trips += 1
            log.warning("breaker_opened", breaker=self.name, failures=self._failures,
                        retry_in_seconds=self._reset)
        self._publish()

    def abandon(self) -> None:
        """A probe that ended without an answer either way (shutdown): let the next call probe instead."""
        self._probing = False
        self._publish()

    def _publish(self) -> None:
        if self._gauge is not None:
            self._gauge.labels(self.name).set(_STATE_VALUE[self.state])
