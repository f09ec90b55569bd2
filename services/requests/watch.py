"""Background work: gauges for operators' alerts (overdue requests, pending dead letters) and the renewal scan."""

import asyncio
import contextlib

from prometheus_client import Gauge

from services.requests.domain.idempotency import KEPT_FOR
from services.requests.handlers import Deps, overdue_requests, scan_renewals
from shared.logging import get_logger

log = get_logger(__name__)

OVERDUE = Gauge("portal_requests_overdue", "Requests still undecided past their due date", ["ministry"])
DEAD_LETTERS_PENDING = Gauge("portal_dead_letters_pending", "Dead letters waiting for staff", ["queue"])


class OperationsWatch:
    def __init__(self, deps: Deps, every_seconds: float = 60.0) -> None:
        self._deps, self._every = deps, every_seconds
        self._task: asyncio.Task[None] | None = None

    async def refresh(self) -> None:
        per_ministry: dict[str, int] = {}
        for ministry, _, count in await overdue_requests(None, self._deps):
            per_ministry[ministry] = per_ministry.get(ministry, 0) + count
        async with self._deps.uow(read_only=True) as uow:
            pending = await uow.dead_letters.pending_per_queue()
        async with self._deps.uow() as uow:
            await uow.idempotency.forget_older_than(self._deps.clock() - KEPT_FOR)
            await uow.commit()
        # Series that dropped to nothing must read zero, not keep their last value.
        for gauge, values in ((OVERDUE, per_ministry), (DEAD_LETTERS_PENDING, pending)):
            gauge.clear()
            for label, value in values.items():
                gauge.labels(label).set(value)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                await self.refresh()
            except Exception:
                log.exception("operations_watch_failed")
            await asyncio.sleep(self._every)


class RenewalScan:
    """Offers renewals as documents come within their rule's window. Every replica may run it: the offers'
    unique key makes each offer, and its RenewalDue, once."""

    def __init__(self, deps: Deps, every_seconds: float) -> None:
        self._deps, self._every = deps, every_seconds
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._every > 0:
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                await scan_renewals(self._deps)
            except Exception:
                log.exception("renewal_scan_failed")
            await asyncio.sleep(self._every)
