"""Background work: gauges for operators' alerts (overdue requests, pending dead letters) and the renewal scan."""

from prometheus_client import Gauge

from services.requests.domain.idempotency import KEPT_FOR
from services.requests.handlers import Deps, overdue_requests, scan_renewals
from shared.logging import get_logger
from shared.periodic import Every

log = get_logger(__name__)

OVERDUE = Gauge("portal_requests_overdue", "Requests still undecided past their due date", ["ministry"])
DEAD_LETTERS_PENDING = Gauge("portal_dead_letters_pending", "Dead letters waiting for staff", ["queue"])


class OperationsWatch:
    def __init__(self, deps: Deps, every_seconds: float = 60.0) -> None:
        self._deps = deps
        self._every = Every(every_seconds, self.refresh, "operations-watch", at_start=True)

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
