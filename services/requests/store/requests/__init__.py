"""The requests, their history, the ministries' queues and the cached catalogue (one module each)."""

from services.requests.store.requests.catalogue import Catalogue
from services.requests.store.requests.queue import (
    COUNT_LIMIT,
    STATUSES,
    UNASSIGNED,
    QueueCounts,
    QueueFilter,
    tab_of,
)
from services.requests.store.requests.repository import Requests
from services.requests.store.requests.rows import HistoryRow, RequestRow

__all__ = ["COUNT_LIMIT", "STATUSES", "UNASSIGNED", "Catalogue", "HistoryRow", "QueueCounts", "QueueFilter",
           "RequestRow", "Requests", "tab_of"]
