"""`portal insights retrain`: mine the requests database's completed requests again, with a progress bar."""

from datetime import UTC, datetime

from pydantic_settings import BaseSettings, SettingsConfigDict
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from services.requests.domain.patterns import Learning
from services.requests.handlers.forecasts import reforecast
from services.requests.handlers.insights import retrain
from services.requests.store import RequestsUnitOfWork, RunRow, inbox, outbox
from shared.db.engine import engine_for


class LearningSettings(BaseSettings):
    """The requests service's settings that learning reads; retraining needs neither the broker nor keys."""

    model_config = SettingsConfigDict(env_prefix="REQUESTS_", extra="ignore")

    database_url: str
    insights_min_citizens: int = 50
    insights_window_days: int = 180
    insights_history_days: int = 730


async def retrain_database(url: str | None = None) -> RunRow:
    settings = LearningSettings()
    engine = engine_for(url or settings.database_url)

    def unit(*, read_only: bool = False, deadline: float | None = None) -> RequestsUnitOfWork:
        return RequestsUnitOfWork(engine, outbox, inbox, "/requests", None, read_only=read_only, deadline=deadline)

    learning = Learning(settings.insights_min_citizens, settings.insights_window_days, settings.insights_history_days)
    try:
        with Progress(TextColumn("reading completed requests"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn()) as bar:
            task = bar.add_task("read", total=None)
            at = datetime.now(UTC)
            run = await retrain(unit, learning, at, lambda done, total: bar.update(task, completed=done, total=total))
        await reforecast(unit, at, learning.history_days)
        return run
    finally:
        await engine.dispose()
