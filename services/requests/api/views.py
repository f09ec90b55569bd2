"""What a request looks like to whoever asks: citizens never see staff ids, ministries see who acted.

Citizens never see machinery: a duplicate or stale event the service recorded but did not apply stays in the
ministry's and staff's view only."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from services.requests.domain import Mover, is_overdue, moves_open_to
from services.requests.handlers import RequestInfo
from services.requests.store import HistoryRow
from shared.auth import Identity


class HistoryItem(BaseModel):
    status: str
    previous_status: str | None
    actor: str
    actor_name: str | None = None
    note: str | None
    at: datetime
    applied: bool


class Rating(BaseModel):
    score: int
    comment: str | None
    rated_at: datetime


class Assignee(BaseModel):
    id: str
    name: str | None


class RequestView(BaseModel):
    tracking_number: str
    service: str
    ministry: str
    status: str
    submitted_at: datetime
    updated_at: datetime
    due_on: datetime
    overdue: bool
    # No status change for longer than the expected step time (domain/stalls.py): shown to the ministry and staff.
    stalled: bool = False
    stalled_since: datetime | None = None
    expected_completion: datetime | None = None
    fields_to_correct: list[str] = []
    # The statuses whoever asks may move the request to now (none for a reader).
    moves: list[str] = []
    action_note: str | None = None
    rating: Rating | None = None
    survey_open: bool = False
    assignee: Assignee | None = None
    fields: dict[str, Any] | None = None
    history: list[HistoryItem] | None = None


def history_item(row: HistoryRow, *, staff_view: bool) -> HistoryItem:
    if staff_view or row.actor == "citizen":
        return HistoryItem(status=row.status, previous_status=row.previous_status, actor=row.actor,
                           actor_name=row.actor_name if staff_view else None, note=row.note, at=row.at,
                           applied=row.applied)
    return HistoryItem(status=row.status, previous_status=row.previous_status, actor="ministry", actor_name=None,
                       note=row.note, at=row.at, applied=row.applied)


def view(info: RequestInfo, viewer: Identity, now: datetime, *, with_fields: bool = False) -> RequestView:
    row = info.row
    staff_view = not viewer.is_citizen
    rating = info.rating
    return RequestView(
        tracking_number=row.tracking_number, service=row.service, ministry=row.ministry, status=row.status,
        submitted_at=row.submitted_at, updated_at=row.updated_at, due_on=row.due_on,
        overdue=is_overdue(row.status, row.due_on, now), expected_completion=info.expected_completion,
        stalled=staff_view and row.stalled_at is not None, stalled_since=row.stalled_at if staff_view else None,
        fields_to_correct=list(row.fields_to_correct or []) if row.status == "action_required" else [],
        moves=moves_open_to(Mover.of(viewer.role, viewer.subject, viewer.ministry), row.ministry, row.citizen,
                            row.status),
        action_note=row.action_note if row.status == "action_required" else None,
        rating=Rating(score=rating.score, comment=rating.comment, rated_at=rating.rated_at) if rating else None,
        survey_open=row.status == "completed" and rating is None,
        assignee=Assignee(id=row.assignee, name=row.assignee_name) if staff_view and row.assignee else None,
        fields=row.fields if with_fields else None,
        history=[history_item(h, staff_view=staff_view) for h in info.history if staff_view or h.applied]
        if info.history is not None else None)
