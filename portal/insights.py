"""`portal insights retrain`: mine the requests database's completed requests again, with a progress bar, then
forecast each service's demand (the Kubernetes CronJob requests-learning runs this)."""

from datetime import UTC, datetime

from pydantic_settings import BaseSettings, SettingsConfigDict
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from services.requests.domain.patterns import Learning
from services.requests.learning.retrain import learn
from services.requests.store import RunRow


class LearningSettings(BaseSettings):
    """The requests service's settings that learning reads; retraining needs neither the broker nor keys."""

    model_config = SettingsConfigDict(env_prefix="REQUESTS_", extra="ignore")

    database_url: str
    insights_min_citizens: int = 50
    insights_window_days: int = 180
    insights_history_days: int = 730


async def retrain_database(url: str | None = None) -> RunRow:
    settings = LearningSettings()
    learning = Learning(settings.insights_min_citizens, settings.insights_window_days, settings.insights_history_days)
    with Progress(TextColumn("reading completed requests"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn()) as bar:
        task = bar.add_task("read", total=None)
        return await learn(url or settings.database_url, learning, datetime.now(UTC),
                           lambda done, total: bar.update(task, completed=done, total=total))
