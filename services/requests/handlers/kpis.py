"""Performance figures: readiness costs from the catalogue, and the KPIs per service, ministry and in total."""

import asyncio
from dataclasses import dataclass
from datetime import date, datetime

from services.requests.domain.kpis import Costs, Facts, Kpis, Period, compute, group
from services.requests.handlers.deps import Deps
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
    async with deps.uow(read_only=True) as uow:
        facts = await uow.performance.facts(period, ministry, service)
        costs = await uow.readiness.costs()
        records = {r.slug: r for r in await uow.catalogue.all_records()
                   if (ministry is None or r.ministry == ministry) and (service is None or r.slug == service)}
    # Over a year of a busy portal this is seconds of arithmetic: off the event loop, so status events and
    # citizens' pages keep moving meanwhile.
    return await asyncio.to_thread(_summarise, period, facts, costs, records, deps.clock())


def _summarise(period: Period, facts: Facts, costs: dict[str, Costs], records: dict[str, ServiceRecord],
               generated_at: datetime) -> PerformanceReport:
    ministry_of = {slug: r.ministry for slug, r in records.items()} | {r.service: r.ministry for r in facts.requests}
    per_service = group(facts, "service", records)
    per_ministry = group(facts, "ministry", {r.ministry for r in records.values()})
    services = []
    for slug, service_facts in sorted(per_service.items()):
        record = records.get(slug)
        services.append(ServiceKpis(slug, ministry_of.get(slug, record.ministry if record else ""),
                                    record.maturity if record else None, record.digitised_on if record else None,
                                    compute(service_facts, {slug: costs[slug]} if slug in costs else {}, period)))
    ministries = []
    for code, ministry_facts in sorted(per_ministry.items()):
        owned = {slug for slug, owner in ministry_of.items() if owner == code}
        ministries.append((code, compute(ministry_facts, {s: c for s, c in costs.items() if s in owned}, period)))
    in_scope = set(ministry_of)
    totals = compute(facts, {s: c for s, c in costs.items() if s in in_scope}, period)
    return PerformanceReport(period, generated_at, totals, ministries, services)
