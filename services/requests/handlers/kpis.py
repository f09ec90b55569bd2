"""Performance figures: readiness costs from the catalogue, and the KPIs per service, ministry and in total."""

from dataclasses import dataclass
from datetime import date, datetime

from services.requests.domain.kpis import ChannelFacts, Costs, Kpis, Period, Rollup, from_rollup
from services.requests.handlers.deps import Deps
from services.requests.store import ServiceRollup
from shared.bus.dispatch import Inbound
from shared.contracts.catalog import ReadinessAssessed, ServiceRecord
from shared.logging import get_logger

log = get_logger(__name__)
CONSUMER = "requests.readiness"


async def record_readiness(message: Inbound[ReadinessAssessed], deps: Deps) -> None:
    event = message.event
    async with deps.uow() as uow:
        if not await uow.claim(message.id, CONSUMER):
            return
        kept = await uow.readiness.put(event.slug, event.ministry, event.maturity, event.volume_per_year,
                                       event.manual_cost_omr, event.digital_cost_omr, event.assessed_at)
        await uow.commit()
    log.info("readiness_recorded", service=event.slug, kept=kept)


@dataclass(frozen=True)
class ServiceKpis:
    service: str
    ministry: str
    maturity: str | None
    digitised_on: date | None
    kpis: Kpis


@dataclass(frozen=True)
class PerformanceReport:
    period: Period
    generated_at: datetime
    totals: Kpis
    ministries: list[tuple[str, Kpis]]
    services: list[ServiceKpis]


async def performance(period: Period, deps: Deps, *, ministry: str | None = None,
                      service: str | None = None) -> PerformanceReport:
    key = (period, ministry, service)
    cached = deps.reports.get(key)
    if isinstance(cached, PerformanceReport):
        return cached
    async with deps.reports.computing:
        cached = deps.reports.get(key)
        if isinstance(cached, PerformanceReport):
            return cached
        report = await _compute(period, deps, ministry, service)
        deps.reports.put(key, report)
    return report


async def _compute(period: Period, deps: Deps, ministry: str | None, service: str | None) -> PerformanceReport:
    # Not entered: its one read opens what it needs (on SQLite, one hop and no connection of the event loop's).
    inputs = await deps.uow(read_only=True).performance.report_inputs(period, ministry, service)
    return _summarise(period, inputs.sums, inputs.channels, inputs.costs, inputs.records, deps.clock())


def _summarise(period: Period, sums: list[ServiceRollup], channels: list[ChannelFacts], costs: dict[str, Costs],
               records: dict[str, ServiceRecord], generated_at: datetime) -> PerformanceReport:
    ministry_of = ({slug: r.ministry for slug, r in records.items()} | {c.service: c.ministry for c in channels}
                   | {s.service: s.ministry for s in sums})
    per_service: dict[str, Rollup] = {slug: Rollup() for slug in ministry_of}
    per_ministry: dict[str, Rollup] = {code: Rollup() for code in ministry_of.values()}
    for s in sums:
        for rollup in (per_service[s.service], per_ministry[s.ministry]):
            rollup.add(s.service, s.counts, s.tenths)
    # The ministries' sums summed: a dozen histograms added, not every service's again.
    totals = Rollup()
    for rollup in per_ministry.values():
        totals.merge(rollup)
    services = []
    for slug, rollup in sorted(per_service.items()):
        record = records.get(slug)
        services.append(ServiceKpis(
            slug, ministry_of[slug], record.maturity if record else None, record.digitised_on if record else None,
            from_rollup(rollup, [c for c in channels if c.service == slug],
                        {slug: costs[slug]} if slug in costs else {})))
    ministries = []
    for code, rollup in sorted(per_ministry.items()):
        owned = {slug for slug, owner in ministry_of.items() if owner == code}
        ministries.append((code, from_rollup(rollup, [c for c in channels if c.ministry == code],
                                             {s: c for s, c in costs.items() if s in owned})))
    in_scope = set(ministry_of)
    return PerformanceReport(period, generated_at,
                             from_rollup(totals, channels, {s: c for s, c in costs.items() if s in in_scope}),
                             ministries, services)


async def rebuild_kpis(deps: Deps) -> int:
    """Recount the KPI rollups from the requests and ratings (after a restore, or to check them)."""
    async with deps.uow() as uow:
        counted = await uow.kpi_rollups.rebuild()
        await uow.commit()
    deps.reports.forget()
    log.info("kpis_rebuilt", requests=counted)
    return counted
