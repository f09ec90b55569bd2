"""Publishes what the store keeps, in order, until the broker confirms each: it never gives up while the broker is away.

Retries wait with a bounded exponential backoff and keep the event id, so the portal applies an update once however
often it is sent. How it is going is a `Health` the ministry can poll, and Prometheus metrics it can alert on.
"""

import asyncio
import contextlib
import math
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from prometheus_client import Counter, Gauge

from ministry_sdk.store import INBOX_DAYS, MinistryStore, Outgoing
from shared.bus import Bus, Envelope, PublishFailed
from shared.bus.topology import FROM_MINISTRIES
from shared.logging import get_logger

log = get_logger(__name__)

PENDING = Gauge("ministry_sdk_pending_events", "Events due and not yet confirmed by the broker", ["ministry"])
OLDEST = Gauge("ministry_sdk_oldest_pending_seconds", "How long the oldest due event has waited", ["ministry"])
PUBLISHING = Gauge("ministry_sdk_publishing", "1 while the broker confirms what is published, 0 while it does not",
                   ["ministry"])
PUBLISHED = Counter("ministry_sdk_published_total", "Events the broker confirmed", ["ministry"])
FAILURES = Counter("ministry_sdk_publish_failures_total", "Publish attempts the broker did not confirm", ["ministry"])
DUPLICATES = Counter("ministry_sdk_duplicate_deliveries_total", "Deliveries skipped: their event id was handled",
                     ["ministry"])
REFRESH_SECONDS = 5.0
PRUNE_SECONDS = 3600.0
# How often a retry's wait looks whether the connection came back (then it retries at once).
RECONNECT_POLL_SECONDS = 0.1


@dataclass(frozen=True)
class Health:
    """publishing: the broker confirmed the last attempt (or nothing has been tried yet)."""

    publishing: bool
    pending: int
    oldest_pending_seconds: float
    failing_since: datetime | None
    consecutive_failures: int

    @property
    def healthy(self) -> bool:
        return self.publishing


@dataclass(frozen=True)
class Backoff:
    first: float = 0.2
    longest: float = 10.0

    def delay(self, failures: int) -> float:
        return float(min(self.first * 2 ** max(failures - 1, 0), self.longest)) + random.uniform(0, 0.2)  # noqa: S311


class Publisher:
    def __init__(self, store: MinistryStore, bus: Bus, ministry: str, user_id: str,
                 backoff: Backoff | None = None) -> None:
        self._store, self._bus, self._ministry, self._user_id = store, bus, ministry, user_id
        self._backoff = backoff or Backoff()
        self._wake = asyncio.Event()
        self._confirmed: dict[str, asyncio.Future[None]] = {}
        self._task: asyncio.Task[None] | None = None
        self._failures = 0
        self._failing_since: datetime | None = None
        self._bus_was_down = False
        self._pruned_at = 0.0
        PUBLISHING.labels(ministry).set(1)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"ministry-{self._ministry}-publisher")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def wake(self) -> None:
        self._wake.set()

    async def confirmed(self, event_ids: list[str]) -> None:
        """Wait until the broker has confirmed each of these events (kept in the store beforehand)."""
        loop = asyncio.get_running_loop()
        waiting = [self._confirmed.setdefault(event_id, loop.create_future()) for event_id in event_ids]
        self.wake()
        await asyncio.gather(*waiting)

    async def health(self) -> Health:
        pending, oldest, _ = await self._store.backlog(time.time())
        return Health(self._failures == 0, pending, time.time() - oldest if oldest is not None else 0.0,
                      self._failing_since, self._failures)

    async def drained(self, within: float) -> bool:
        """Wait (at most `within` seconds) until nothing due is left to publish."""
        deadline = time.monotonic() + within
        while (await self._store.backlog(time.time()))[0]:
            if time.monotonic() > deadline:
                return False
            self.wake()
            await asyncio.sleep(0.05)
        return True

    async def _run(self) -> None:
        while True:
            try:
                await self._publish_due()
                await self._prune()
                _, _, upcoming = await self._store.backlog(time.time())
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("ministry_publisher_failed", ministry=self._ministry)
                upcoming = time.time() + 1.0
            wait = REFRESH_SECONDS if upcoming is None else min(max(upcoming - time.time(), 0.0), REFRESH_SECONDS)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)

    async def _prune(self) -> None:
        if time.time() - self._pruned_at >= PRUNE_SECONDS:
            self._pruned_at = time.time()
            await self._store.forget_before(self._pruned_at - INBOX_DAYS * 86400)

    async def _publish_due(self) -> None:
        while batch := await self._store.due(time.time()):
            await self._measure()
            # A request's events in order, different requests' side by side, and the batch marked sent in one
            # transaction: one confirm round trip and one fsync per event held a ministry to a few events a second
            # on a loaded host, and its requests waited behind its backlog.
            lanes: dict[str | None, list[tuple[Outgoing, Envelope]]] = {}
            for event in batch:
                envelope = Envelope.from_body(event.body)
                lanes.setdefault(envelope.subject, []).append((event, envelope))
            await asyncio.gather(*(self._publish_in_order(lane) for lane in lanes.values()))
            await self._store.sent_all([event.event_id for event in batch])
            PUBLISHED.labels(self._ministry).inc(len(batch))
            for event in batch:
                future = self._confirmed.pop(event.event_id, None)
                if future is not None and not future.done():
                    future.set_result(None)
        await self._measure()

    async def _publish_in_order(self, lane: list[tuple[Outgoing, Envelope]]) -> None:
        for event, envelope in lane:
            await self._publish_until_confirmed(event, envelope)

    async def _measure(self) -> None:
        pending, oldest, _ = await self._store.backlog(time.time())
        PENDING.labels(self._ministry).set(pending)
        OLDEST.labels(self._ministry).set(time.time() - oldest if oldest is not None else 0.0)

    async def _publish_until_confirmed(self, event: Outgoing, envelope: Envelope) -> None:
        # This event's own failures set its backoff: the lanes' together would grow it as many times faster.
        failures = 0
        while True:
            try:
                await self._bus.publish(envelope, FROM_MINISTRIES, event.routing_key, user_id=self._user_id)
            except PublishFailed as exc:
                failures += 1
                self._failures += 1
                self._failing_since = self._failing_since or datetime.now(UTC)
                FAILURES.labels(self._ministry).inc()
                PUBLISHING.labels(self._ministry).set(0)
                delay = self._backoff.delay(failures)
                log.warning("ministry_publish_retried", ministry=self._ministry, event_id=event.event_id,
                            failures=self._failures, retry_in_seconds=round(delay, 2), error=str(exc)[:200])
                await self._measure()
                await self._wait_to_retry(delay)
                continue
            if self._failures:
                log.info("ministry_publishing_again", ministry=self._ministry, after_failures=self._failures)
            self._failures, self._failing_since, self._bus_was_down = 0, None, False
            PUBLISHING.labels(self._ministry).set(1)
            return

    async def _wait_to_retry(self, delay: float) -> None:
        """Wait out the backoff, but retry at once when the connection comes back: while a node loss's reconnect
        takes a second or three, every attempt fails at once and the backoff grows (3.2 s, then 6.4 s), and
        sleeping it out after the connection is back stalled the ministry for longer than the outage."""
        for _ in range(max(1, math.ceil(delay / RECONNECT_POLL_SECONDS))):
            ready = await self._bus.is_ready()
            if ready and self._bus_was_down:
                self._bus_was_down = False
                return
            self._bus_was_down = self._bus_was_down or not ready
            await asyncio.sleep(RECONNECT_POLL_SECONDS)
