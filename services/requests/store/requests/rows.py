"""A request and its history as the store keeps them."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class RequestRow:
    tracking_number: str
    service: str
    service_version: int
    ministry: str
    citizen: str
    citizen_name: str | None
    lang: str
    status: str
    fields: dict[str, Any]
    submitted_at: datetime
    updated_at: datetime
    due_on: datetime
    assignee: str | None = None
    assignee_name: str | None = None
    action_note: str | None = None
    fields_to_correct: list[str] | None = None
    decided_at: datetime | None = None
    completed_at: datetime | None = None
    stalled_at: datetime | None = None


@dataclass(frozen=True)
class HistoryRow:
    status: str
    previous_status: str | None
    actor: str
    note: str | None
    at: datetime
    applied: bool
    actor_name: str | None = None
