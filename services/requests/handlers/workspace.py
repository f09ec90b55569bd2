"""The ministry's side: its queue with every tab's count, its workload, and its channel counts."""

import statistics
from dataclasses import dataclass
from datetime import date

from services.requests.domain import Forbidden, NotFound
from services.requests.domain.kpis import Period
from services.requests.handlers.deps import Deps
from services.requests.handlers.lifecycle import RequestInfo
from services.requests.store import UNASSIGNED, Decision, QueueCounts, QueueFilter
from shared.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class MinistryQueueQuery:
    ministry: str
    status: str | None = None
    service: str | None = None
    overdue: bool = False
    # None: anyone; "me", "none", or an officer's id.
    assigned: str | None = None
    viewer: str | None = None
    limit: int = 50
    offset: int = 0
    stalled: bool = False


@dataclass(frozen=True)
class MinistryQueue:
    # Capped as each count is (counts.limit).
    total: int
    counts: QueueCounts
    items: list[RequestInfo]


async def ministry_requests(query: MinistryQueueQuery, deps: Deps) -> MinistryQueue:
    now = deps.clock()
    assignee = {"me": query.viewer or "", "none": UNASSIGNED}.get(query.assigned or "", query.assigned)
    wanted = QueueFilter(query.ministry, query.status, query.service, now if query.overdue else None, assignee,
                         stalled=query.stalled)
    async with deps.uow(read_only=True) as uow:
        counts, total = await uow.requests.queue_counts(wanted, now, query.viewer)
        rows = await uow.requests.queue(wanted, limit=query.limit, offset=query.offset)
        calendar = await deps.calendars.current(uow)
        items = [RequestInfo(r, expected_completion=await deps.estimates.expected(uow, r, now, calendar))
                 for r in rows]
    return MinistryQueue(total, counts, items)


@dataclass(frozen=True)
class ReportChannelCount:
    ministry: str
    service: str
    month: date
    channel: str
    completed: int


async def report_channel_count(command: ReportChannelCount, deps: Deps) -> None:
    async with deps.uow() as uow:
        service = await uow.catalogue.record(command.service)
        if service is None:
            raise NotFound("service-not-found", f"No service {command.service!r}.")
        if service.ministry != command.ministry:
            raise Forbidden("wrong-ministry", "A ministry reports counts only for its own services.")
        await uow.channel_counts.put(command.service, command.ministry, command.month, command.channel,
                                     command.completed, deps.clock())
        await uow.commit()
    log.info("channel_count_reported", service=command.service, channel=command.channel)


@dataclass(frozen=True)
class ServiceLoad:
    service: str
    open: int
    overdue: int
    decided: int
    median_handling_hours: float | None


@dataclass(frozen=True)
class OfficerLoad:
    officer: str
    officer_name: str | None
    assigned_open: int
    overdue: int
    decided: int
    median_handling_hours: float | None


@dataclass(frozen=True)
class Workload:
    services: list[ServiceLoad]
    officers: list[OfficerLoad]


def _median_hours(decisions: list[Decision]) -> float | None:
    hours = [(d.decided_at - d.submitted_at).total_seconds() / 3600 for d in decisions]
    return round(statistics.median(hours), 1) if hours else None


async def workload(ministry: str, period: Period, deps: Deps) -> Workload:
    """Open and overdue requests now, and what was decided in the period (with the handling time from
    submission to decision), per service and per officer."""
    async with deps.uow(read_only=True) as uow:
        open_now = await uow.performance.open_requests(ministry, deps.clock())
        decisions = await uow.performance.decisions(ministry, period)
    services = sorted({r.service for r in open_now} | {d.service for d in decisions})
    officers = sorted({r.assignee for r in open_now if r.assignee} | {d.officer for d in decisions if d.officer})
    names = {r.assignee: r.assignee_name for r in open_now if r.assignee} | {
        d.officer: d.officer_name for d in decisions if d.officer}
    return Workload(
        services=[ServiceLoad(
            service=s, open=sum(r.service == s for r in open_now),
            overdue=sum(r.service == s and r.overdue for r in open_now),
            decided=sum(d.service == s for d in decisions),
            median_handling_hours=_median_hours([d for d in decisions if d.service == s])) for s in services],
        officers=[OfficerLoad(
            officer=o, officer_name=names.get(o), assigned_open=sum(r.assignee == o for r in open_now),
            overdue=sum(r.assignee == o and r.overdue for r in open_now),
            decided=sum(d.officer == o for d in decisions),
            median_handling_hours=_median_hours([d for d in decisions if d.officer == o])) for o in officers])
