"""Background work: flagging stalled requests, gauges for operators' alerts (overdue and stalled requests, pending
dead letters), and the renewal scan."""

from datetime import timedelta

from prometheus_client import Gauge

from services.requests.domain.idempotency import KEPT_FOR
from services.requests.handlers import Deps, flag_stalled_requests, overdue_requests, scan_renewals, stalled_requests
from shared.logging import get_logger
from shared.periodic import Every

log = get_logger(__name__)

OVERDUE = Gauge("portal_requests_overdue", "Requests past their due date, undecided or approved and not completed",
                ["ministry"])
STALLED = Gauge("portal_requests_stalled", "Requests with no status change for longer than their expected step time",
                ["ministry"])
DEAD_LETTERS_PENDING = Gauge("portal_dead_letters_pending", "Dead letters waiting for staff", ["queue"])


class OperationsWatch:
    def __init__(self, deps: Deps, every_seconds: float = 60.0, stall_floor: timedelta = timedelta(hours=1)) -> None:
        self._deps, self._stall_floor = deps, stall_floor
        self._every = Every(every_seconds, self.refresh, "operations-watch", at_start=True)

    async def refresh(self) -> None:
        await flag_stalled_requests(self._deps, self._stall_floor)
        per_ministry: dict[str, int] = {}
        for ministry, _, count in await overdue_requests(None, self._deps):
            per_ministry[ministry] = per_ministry.get(ministry, 0) + count
        stalled: dict[str, int] = {}
        for ministry, _, count in await stalled_requests(None, self._deps):
            stalled[ministry] = stalled.get(ministry, 0) + count
        async with self._deps.uow(read_only=True) as uow:
            pending = await uow.dead_letters.pending_per_queue()
        async with self._deps.uow() as uow:
            await uow.idempotency.forget_older_than(self._deps.clock() - KEPT_FOR)
            await uow.commit()
        # Series that dropped to nothing must read zero, not keep their last value.
        for gauge, values in ((OVERDUE, per_ministry), (STALLED, stalled), (DEAD_LETTERS_PENDING, pending)):
            gauge.clear()
            for label, value in values.items():
                gauge.labels(label).set(value)

    def start(self) -> None:
        self._every.start()

    async def stop(self) -> None:
        await self._every.stop()


class RenewalScan:
    """Offers renewals as documents come within their rule's window. Every replica may run it: the offers'
    unique key makes each offer, and its RenewalDue, once."""

    def __init__(self, deps: Deps, every_seconds: float) -> None:
        self._every = Every(every_seconds, lambda: scan_renewals(deps), "renewal-scan", at_start=True)

    def start(self) -> None:
        self._every.start()

    async def stop(self) -> None:
        await self._every.stop()
