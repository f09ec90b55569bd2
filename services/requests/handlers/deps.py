from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from services.requests.domain.patterns import Learning
from services.requests.handlers.caching import Calendars, KeptReports, PublishedServices
from services.requests.handlers.estimates import CompletionEstimates
from services.requests.handlers.new_requests import Submission, Submitted, write_submissions
from services.requests.store import RequestsUnitOfWork, RunRow, now
from shared.bus import Bus
from shared.contracts.catalog import ServiceRecord
from shared.db import UnitOfWorkFactory
from shared.db.group_commit import GroupCommit


class CatalogPort(Protocol):
    async def fetch(self, slug: str) -> ServiceRecord | None: ...


class MinistryLinksPort(Protocol):
    async def ensure(self, ministry: str) -> None: ...


class RetrainingPort(Protocol):
    """Learns the patterns and forecasts again, out of the serving process (learning/child.py)."""

    async def retrain(self, learning: Learning, at: datetime) -> RunRow: ...


@dataclass(frozen=True)
class Deps:
    uow: UnitOfWorkFactory[RequestsUnitOfWork]
    catalog: CatalogPort
    ministry_links: MinistryLinksPort
    bus: Bus
    retraining: RetrainingPort
    clock: Callable[[], datetime] = field(default=now)
    calendars: Calendars = field(default_factory=Calendars)
    services: PublishedServices = field(default_factory=PublishedServices)
    estimates: CompletionEstimates = field(default_factory=CompletionEstimates)
    # The public performance reports, by period and filter.
    reports: KeptReports = field(default_factory=KeptReports)
    learning: Learning = field(default_factory=Learning)
    # How long a submission may take to commit (see Settings.submission_deadline_seconds).
    submission_deadline_seconds: float = 6.0
    # Submissions, written many to a transaction by one writer.
    submissions: GroupCommit[RequestsUnitOfWork, Submission, Submitted] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "submissions", GroupCommit(self.uow, write_submissions))
