"""The public KPIs are read from the daily rollups: they must equal the same definitions computed by scanning
every request and rating (domain/kpis.py `compute`), for any period, and after a rebuild from history."""

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from services.requests import handlers
from services.requests.domain.kpis import Costs, Period, compute, group
from services.requests.store import RequestsUnitOfWork
from tests.factories import create_citizen
from tests.integration.requests.helpers import Harness, at, create_service_record, move, on, submit
from tests.integration.requests.test_performance import assess

pytestmark = pytest.mark.integration
PATHS = {"renew-licence": "rop", "moh-permit": "moh"}
PERIODS = [Period(date(2026, 1, 1), date(2026, 3, 31)), Period(date(2026, 1, 20), date(2026, 2, 10)),
           Period(date(2026, 2, 1), date(2026, 2, 28)), Period(date(2026, 2, 3), date(2026, 2, 3)),
           Period(date(2026, 1, 31), date(2026, 3, 1)), Period(date(2025, 12, 1), date(2026, 12, 31)),
           # Most of a month: read as the month less the days outside the period.
           Period(date(2026, 1, 5), date(2026, 2, 25)), Period(date(2026, 2, 2), date(2026, 2, 27))]


async def random_history(harness: Harness, seed: int, count: int) -> None:
    """Requests of two ministries across three months, moved to every kind of end, some rated."""
    rng = random.Random(seed)
    for n in range(count):
        service = rng.choice(sorted(PATHS))
        submitted = on("2026-01-05", rng.randrange(24)) + timedelta(days=rng.randrange(70),
                                                                    minutes=rng.randrange(60))
        citizen = create_citizen(f"9{n:07d}")
        tracking_number = await submit(harness, submitted, service, citizen)
        fate = rng.choice(["open", "cancelled", "rejected", "approved", "completed", "completed"])
        if fate == "cancelled":
            at(harness, submitted + timedelta(hours=1))
            cancelled = await harness.client.post(f"/api/v1/requests/{tracking_number}/cancel",
                                                  headers=harness.as_(citizen))
            assert cancelled.status_code == 200, cancelled.text
            continue
        if fate == "open":
            continue
        when = submitted + timedelta(hours=rng.randrange(1, 200))
        decided = when + timedelta(hours=rng.randrange(1, 400))
        steps = [("received", when), ("in_review", when), ("rejected" if fate == "rejected" else "approved", decided)]
        if fate == "completed":
            steps.append(("completed", decided + timedelta(hours=rng.randrange(0, 100), minutes=rng.randrange(60))))
        await move(harness, tracking_number, *steps, ministry=PATHS[service])
        if fate == "completed" and rng.random() < 0.7:
            at(harness, steps[-1][1] + timedelta(days=rng.randrange(3)))
            rated = await harness.client.post(f"/api/v1/requests/{tracking_number}/rating",
                                              headers=harness.as_(citizen), json={"score": rng.randint(1, 5)})
            assert rated.status_code == 201, rated.text


async def scanned(harness: Harness, period: Period) -> dict[str, Any]:
    """The figures as the scan computes them: totals, per ministry and per service."""
    async with harness.app.state.deps.uow(read_only=True) as uow:
        assert isinstance(uow, RequestsUnitOfWork)
        facts = await uow.performance.facts(period)
    costs = {"renew-licence": Costs(manual=Decimal("4.500"), digital=Decimal("1.250"))}
    return {
        "totals": compute(facts, costs, period).as_dict(),
        "ministries": {code: compute(f, {s: c for s, c in costs.items() if PATHS[s] == code}, period).as_dict()
                       for code, f in group(facts, "ministry", set(PATHS.values())).items()},
        "services": {slug: compute(f, {slug: costs[slug]} if slug in costs else {}, period).as_dict()
                     for slug, f in group(facts, "service", PATHS).items()},
    }


async def from_rollups(harness: Harness, period: Period) -> dict[str, Any]:
    harness.app.state.deps.reports.forget()
    report = await handlers.performance(period, harness.app.state.deps)
    return {"totals": report.totals.as_dict(),
            "ministries": {code: kpis.as_dict() for code, kpis in report.ministries},
            "services": {s.service: s.kpis.as_dict() for s in report.services}}


async def test_the_published_figures_from_rollups_equal_a_scan_of_every_request_for_any_period(
        harness: Harness) -> None:
    await harness.publish_service(create_service_record(slug="moh-permit", ministry="moh"))
    await assess(harness, "renew-licence", "4.500", "1.250", on("2026-01-01"))
    await random_history(harness, seed=23, count=24)
    for period in PERIODS:
        expected = await scanned(harness, period)
        assert expected["totals"]["started"] or period.start == period.end
        assert await from_rollups(harness, period) == expected, period

    async with harness.app.state.deps.uow() as uow:
        await uow.connection.exec_driver_sql("UPDATE kpi_days SET started = started + 7, tenths = NULL")
        await uow.connection.exec_driver_sql("DELETE FROM kpi_months")
        await uow.commit()
    assert await handlers.rebuild_kpis(harness.app.state.deps) == 24
    for period in PERIODS:
        assert await from_rollups(harness, period) == await scanned(harness, period), period
