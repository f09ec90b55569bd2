"""Events the requests service publishes: to a ministry's queue, and on portal.events."""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

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
    # With action_required: the form fields the ministry asks the citizen to answer again.
    fields_to_correct: list[str] = Field(default_factory=list)
    actor: str
    changed_at: datetime


class RenewalDue(IntegrationEvent):
    """On portal.events with key `requests.renewal.due`: once per document and expiry, ahead of the expiry by
    the renewal rule's window, unless the citizen opted out of proactive offers."""

    TYPE = "om.portal.request.renewal.due.v1"
    offer_id: str
    citizen: str
    lang: Literal["ar", "en"] = "ar"
    document_type: str
    document_number: str
    expires_on: date
    service: str
    ministry: str
    days_ahead: int
    due_at: datetime


class SurveyInvited(IntegrationEvent):
    """On portal.events with key `requests.survey.invited`: once per completed request, the citizen is asked to
    rate it (1 to 5, with an optional comment) at /requests/{tracking_number}/rating."""

    TYPE = "om.portal.request.survey.invited.v1"
    tracking_number: str
    service: str
    ministry: str
    citizen: str
    lang: Literal["ar", "en"] = "ar"
    invited_at: datetime


class SuggestionOffered(IntegrationEvent):
    """On portal.events with key `requests.suggestion.offered`: a citizen who opted in to these notices completed
    a request that most people like them follow with another service, learned from aggregates of at least k
    citizens. Once per citizen and suggested service; at most one per completed request."""

    TYPE = "om.portal.request.suggestion.offered.v1"
    tracking_number: str
    citizen: str
    lang: Literal["ar", "en"] = "ar"
    # The service suggested, and the one the completed request was for (the reason).
    service: str
    ministry: str
    because_of: str
    offered_at: datetime


class RequestStalled(IntegrationEvent):
    """Routed to portal.to-ministries with key `<ministry>.request.stalled` (so it reaches the ministry's own
    inbox): the request has had no status change for longer than its expected step time. Once per stay in a
    status: the next status change clears it, and a new stay can stall again."""

    TYPE = "om.portal.request.stalled.v1"
    tracking_number: str
    service: str
    ministry: str
    status: Status
    # When the request entered its current status, and how long a step of this service usually takes there.
    since: datetime
    expected_step_seconds: int
    stalled_at: datetime


class SubmissionsCounted(IntegrationEvent):
    """On portal.events with key `requests.submissions.counted`: how many requests each service has had so far, for
    the services whose count moved since the last report (every service's in a requests service's first report).
    Search ranks services by it. Counts only: never who asked, where a status change names the citizen."""

    TYPE = "om.portal.request.submissions.counted.v1"
    # Service slug → requests made for it, all told (a total, so a report heard twice or late changes nothing).
    submissions: dict[str, Annotated[int, Field(ge=0)]]
    counted_at: datetime
