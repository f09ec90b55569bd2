"""Each service's weekly demand for the next eight weeks, made when the portal retrains (learning/retrain.py) and
kept for the ministries' workload view (service_forecasts)."""

from services.requests.handlers.deps import Deps
from services.requests.store.insights import ForecastRow


async def forecasts(deps: Deps, ministry: str | None) -> list[ForecastRow]:
    """The kept forecasts: one ministry's, or every ministry's (None)."""
    async with deps.uow(read_only=True) as uow:
        return await uow.insights.forecasts(ministry)
