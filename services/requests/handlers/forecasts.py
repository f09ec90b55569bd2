"""Each service's weekly demand for the next eight weeks, made when the portal retrains and kept for the
ministries' workload view (service_forecasts)."""

import time
from collections import defaultdict
from datetime import date, datetime, timedelta

from services.requests.domain.forecast import MIN_WEEKS, forecast, week_of, weekly_volumes
from services.requests.handlers.deps import Deps
from services.requests.store import RequestsUnitOfWork
from services.requests.store.insights import ForecastRow
from shared.db import UnitOfWorkFactory
from shared.logging import get_logger

log = get_logger(__name__)


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


async def forecasts(deps: Deps, ministry: str | None) -> list[ForecastRow]:
    """The kept forecasts: one ministry's, or every ministry's (None)."""
    async with deps.uow(read_only=True) as uow:
        return await uow.insights.forecasts(ministry)
