"""Events the requests service publishes: to a ministry's queue, and on portal.events."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from shared.contracts.base import IntegrationEvent

Status = Literal["submitted", "received", "in_review", "action_required", "approved", "rejected",
                 "completed", "cancelled"]


class Applicant(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    national_id: str
    name: str | None = None
    lang: Literal["ar", "en"] = "ar"


class RequestSubmitted(IntegrationEvent):
    """Routed to portal.to-ministries with key `<ministry>.request.submitted`."""

    TYPE = "om.portal.request.submitted.v1"
    tracking_number: str
    service: str
    service_version: int
    ministry: str
    applicant: Applicant
    fields: dict[str, Any]
    submitted_at: datetime
    due_on: datetime


class RequestStatusChanged(IntegrationEvent):
    """On portal.events with key `requests.request.status_changed`."""

    TYPE = "om.portal.request.status_changed.v1"
    tracking_number: str
    service: str
    ministry: str
    citizen: str
    lang: Literal["ar", "en"] = "ar"
    status: Status
    previous_status: Status | None
    note: str | None = None
    actor: str
    changed_at: datetime
