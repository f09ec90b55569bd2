"""A ministry's queue: its filters, its tabs and their capped counts."""

from dataclasses import dataclass
from datetime import datetime
from typing import get_args

from sqlalchemy import ColumnElement, ScalarSelect, func, literal_column, select

from services.requests.domain import Status
from services.requests.store.overdue import overdue
from services.requests.store.tables import requests

UNASSIGNED = ""
# The queue's counts stop there (GitLab's "1k+"): each reads at most this many index entries, so a page costs the
# same whatever the ministry's history; a count equal to it means at least that many.
COUNT_LIMIT = 1_000
STATUSES: tuple[str, ...] = get_args(Status)


@dataclass(frozen=True)
class QueueFilter:
    ministry: str
    status: str | None = None
    service: str | None = None
    overdue_at: datetime | None = None
    # None: anyone; UNASSIGNED: nobody; otherwise an officer's subject.
    assignee: str | None = None
    stalled: bool = False


def tab_of(query: QueueFilter, me: str | None) -> str | None:
    """The tab whose count is the filter's total (the tabs follow the service filter): "all" for no other filter,
    None for combined filters or another officer's requests."""
    narrowed = [query.status is not None, query.overdue_at is not None, query.assignee is not None, query.stalled]
    if sum(narrowed) > 1:
        return None
    if query.stalled:
        return "stalled"
    if query.status is not None:
        return query.status
    if query.overdue_at is not None:
        return "overdue"
    if query.assignee == UNASSIGNED:
        return "unassigned"
    if query.assignee is not None:
        return "assigned_to_me" if query.assignee == (me or "") else None
    return "all"


@dataclass(frozen=True)
class QueueCounts:
    per_status: dict[str, int]
    overdue: int
    assigned_to_me: int
    unassigned: int
    stalled: int = 0
    # Every count stops at it: one equal to it means at least that many.
    limit: int = COUNT_LIMIT

    def by_tab(self) -> dict[str, int]:
        return {s: self.per_status.get(s, 0) for s in STATUSES} | {
            "overdue": self.overdue, "assigned_to_me": self.assigned_to_me, "unassigned": self.unassigned,
            "stalled": self.stalled}

    def total_for(self, query: QueueFilter, me: str | None) -> int | None:
        """The filter's total when one tab's count already is it, capped at the limit as each count is."""
        tab = tab_of(query, me)
        if tab == "all":
            return min(sum(self.per_status.values()), self.limit)
        return None if tab is None else self.by_tab()[tab]


def queue_conditions(query: QueueFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [requests.c.ministry == query.ministry]
    if query.status is not None:
        conditions.append(requests.c.status == query.status)
    if query.service is not None:
        conditions.append(requests.c.service == query.service)
    if query.overdue_at is not None:
        conditions.append(overdue(query.overdue_at))
    if query.stalled:
        conditions.append(requests.c.stalled_at.is_not(None))
    if query.assignee == UNASSIGNED:
        conditions.append(requests.c.assignee.is_(None))
    elif query.assignee is not None:
        conditions.append(requests.c.assignee == query.assignee)
    return conditions


def capped_count(conditions: list[ColumnElement[bool]], limit: int) -> ScalarSelect[int]:
    """How many requests match, stopping at `limit`: `count(*)` of a limited subquery, so an index holding every
    condition is read for at most `limit` entries however many match."""
    return select(func.count()).select_from(
        select(literal_column("1")).where(*conditions).limit(limit).subquery()).scalar_subquery()
