"""The requests service's tables, repositories and unit of work."""

from datetime import datetime
from typing import Any

from services.requests.store.calendar import CalendarChangeRow, CalendarChanges
from services.requests.store.dead_letters import DeadLetterRow, DeadLetters
from services.requests.store.idempotency import IdempotencyKeys, KeptAnswer
from services.requests.store.insights import ForecastRow, Insights, PatternRow, RunRow
from services.requests.store.kpi_rollups import KpiRollups, ServiceRollup
from services.requests.store.kpis import (
    ChannelCounts,
    Decision,
    OpenRequest,
    Performance,
    RatingRow,
    Ratings,
    Readiness,
)
from services.requests.store.proactive import Documents, OfferRow, Offers, Preferences
from services.requests.store.requests import (
    UNASSIGNED,
    Catalogue,
    HistoryRow,
    QueueCounts,
    QueueFilter,
    RequestRow,
    Requests,
)
from services.requests.store.tables import (
    MIGRATIONS,
    calendar_changes,
    catalogue,
    channel_counts,
    dead_letters,
    documents,
    history,
    idempotency_keys,
    inbox,
    metadata,
    offers,
    outbox,
    preferences,
    ratings,
    readiness,
    requests,
    sequences,
)
from shared.db import UnitOfWork, utcnow

__all__ = [
    "MIGRATIONS",
    "UNASSIGNED",
    "CalendarChangeRow",
    "CalendarChanges",
    "Catalogue",
    "ChannelCounts",
    "DeadLetterRow",
    "DeadLetters",
    "Decision",
    "Documents",
    "ForecastRow",
    "HistoryRow",
    "IdempotencyKeys",
    "Insights",
    "KeptAnswer",
    "KpiRollups",
    "OfferRow",
    "Offers",
    "OpenRequest",
    "PatternRow",
    "Performance",
    "Preferences",
    "QueueCounts",
    "QueueFilter",
    "RatingRow",
    "Ratings",
    "Readiness",
    "RequestRow",
    "Requests",
    "RequestsUnitOfWork",
    "RunRow",
    "ServiceRollup",
    "calendar_changes",
    "catalogue",
    "channel_counts",
    "dead_letters",
    "documents",
    "history",
    "idempotency_keys",
    "inbox",
    "metadata",
    "now",
    "offers",
    "outbox",
    "preferences",
    "ratings",
    "readiness",
    "requests",
    "sequences",
]


class RequestsUnitOfWork(UnitOfWork):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.catalogue = Catalogue(self)
        self.requests = Requests(self)
        self.dead_letters = DeadLetters(self)
        self.documents = Documents(self)
        self.offers = Offers(self)
        self.preferences = Preferences(self)
        self.ratings = Ratings(self)
        self.channel_counts = ChannelCounts(self)
        self.readiness = Readiness(self)
        self.performance = Performance(self)
        self.kpi_rollups = KpiRollups(self)
        self.calendar = CalendarChanges(self)
        self.idempotency = IdempotencyKeys(self)
        self.insights = Insights(self)


def now() -> datetime:
    return utcnow()
