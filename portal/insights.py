"""`portal insights retrain`: mine the requests database's completed requests again, with a progress bar."""

from datetime import UTC, datetime

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from services.requests.config import Settings
from services.requests.domain.patterns import Learning
from services.requests.handlers.insights import retrain
from services.requests.store import RequestsUnitOfWork, RunRow, inbox, outbox
from shared.db.engine import engine_for


async def retrain_database(url: str | None = None) -> RunRow:
    settings = Settings()
    engine = engine_for(url or settings.database_url)

    def unit(*, read_only: bool = False) -> RequestsUnitOfWork:
        return RequestsUnitOfWork(engine, outbox, inbox, "/requests", None, read_only=read_only)

    learning = Learning(settings.insights_min_citizens, settings.insights_window_days, settings.insights_history_days)
    try:
        with Progress(TextColumn("reading completed requests"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn()) as bar:
            task = bar.add_task("read", total=None)
            return await retrain(unit, learning, datetime.now(UTC),
                                 lambda done, total: bar.update(task, completed=done, total=total))
    finally:
        await engine.dispose()
