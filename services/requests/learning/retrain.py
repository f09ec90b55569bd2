"""Retraining: mine every completed request of the history window again (staff's decisions stay as they were),
then forecast each service's weekly demand, both written to the requests store."""

import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta

import numpy as np

from services.requests.domain.forecast import MIN_WEEKS, forecast, week_of, weekly_volumes
from services.requests.domain.mining import mine
from services.requests.domain.patterns import Learning
from services.requests.store import RequestsUnitOfWork, RunRow, inbox, outbox
from services.requests.store.insights import ForecastRow
from shared.db import UnitOfWorkFactory
from shared.db.engine import engine_for
from shared.logging import get_logger

log = get_logger(__name__)
Progress = Callable[[int, int], None]


def _quiet(_: int, __: int) -> None:
    return None


async def retrain(uow: UnitOfWorkFactory[RequestsUnitOfWork], learning: Learning, at: datetime,
                  progress: Progress = _quiet) -> RunRow:
    """Mine every completed request of the history window again; staff's decisions stay as they were."""
    started = time.perf_counter()
    since = at - timedelta(days=learning.history_days)
    citizens: list[str] = []
    services: list[str] = []
    seconds: list[float] = []
    async with uow(read_only=True) as reading:
        total = await reading.insights.completed_count(since)
        progress(0, total)
        async for batch in reading.insights.completed_since(since):
            for citizen, service, submitted_at in batch:
                citizens.append(citizen)
                services.append(service)
                seconds.append(submitted_at.timestamp())
            progress(len(citizens), total)
        records = await reading.catalogue.all_records()
        bar = await reading.insights.thresholds()
    sensitive = {r.slug for r in records if r.sensitive}
    known, citizen_codes = np.unique(np.array(citizens, dtype=object), return_inverse=True)
    slugs, service_codes = np.unique(np.array(services, dtype=object), return_inverse=True)
    found = mine(citizen_codes.astype(np.int64), service_codes.astype(np.int64), np.array(seconds, dtype=np.int64),
                 [str(s) for s in slugs], window_days=learning.window_days, min_citizens=learning.min_citizens,
                 sensitive=sensitive)
    run = RunRow(at, len(citizens), len(known), len(found), time.perf_counter() - started)
    async with uow() as writing:
        await writing.insights.replace_patterns(found, at, bar)
        await writing.insights.record_run(run)
        await writing.commit()
    log.info("insights_retrained", requests=run.requests, citizens=run.citizens, patterns=run.patterns,
             seconds=round(run.seconds, 2))
    return run


async def reforecast(uow: UnitOfWorkFactory[RequestsUnitOfWork], at: datetime, history_days: int) -> int:
    """Forecast every service with at least MIN_WEEKS whole weeks of requests; the others have none. Returns how
    many services were forecast."""
    started = time.perf_counter()
    async with uow(read_only=True) as reading:
        rows = await reading.insights.weekly_counts(at - timedelta(days=history_days))
    days: dict[tuple[str, str], list[date]] = defaultdict(list)
    for service, ministry, submitted_at in rows:
        days[(service, ministry)].append(submitted_at.date())
    this_week = week_of(at.date())
    kept: list[ForecastRow] = []
    for (service, ministry), dates in sorted(days.items()):
        weeks, volumes = weekly_volumes(dates, this_week)
        if len(weeks) < MIN_WEEKS:
            continue
        kept += [ForecastRow(service, ministry, w.week, w.expected, w.lower, w.upper, at)
                 for w in forecast(weeks, volumes)]
    async with uow() as writing:
        await writing.insights.replace_forecasts(kept)
        await writing.commit()
    services = len({row.service for row in kept})
    log.info("demand_forecast", services=services, seconds=round(time.perf_counter() - started, 2))
    return services


async def learn(database_url: str, learning: Learning, at: datetime, progress: Progress = _quiet) -> RunRow:
    """Patterns, then each service's demand forecast, from the requests database at `database_url`."""
    engine = engine_for(database_url)

    def unit(*, read_only: bool = False, deadline: float | None = None) -> RequestsUnitOfWork:
        return RequestsUnitOfWork(engine, outbox, inbox, "/requests", None, read_only=read_only, deadline=deadline)

    try:
        run = await retrain(unit, learning, at, progress)
        await reforecast(unit, at, learning.history_days)
        return run
    finally:
        await engine.dispose()
