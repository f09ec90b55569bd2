"""What a ministry publishes on portal.from-ministries, under its own broker user (routing key `<code>.…`)."""

from typing import Literal

from pydantic import Field

from shared.contracts.base import Day, IntegrationEvent, Moment, SafeText

MinistryStatus = Literal["received", "in_review", "action_required", "approved", "rejected", "completed"]


class RequestStatusUpdated(IntegrationEvent):
    """Routing key `<ministry>.request.status_updated`.

    With `action_required`, `fields_to_correct` names the form fields the citizen should answer again.
    """

    TYPE = "om.portal.ministry.request.status_updated.v1"
    tracking_number: str
    status: MinistryStatus
    note: SafeText | None = None
    fields_to_correct: list[str] = Field(default_factory=list, max_length=100)
    occurred_at: Moment


class DocumentIssued(IntegrationEvent):
    """Routing key `<ministry>.document.issued`: a licence, registration, permit or certificate the ministry
    issued to a citizen. The portal keeps it on the citizen's record and offers the renewal before it expires.

    `document_type` is a code from the portal's list (e.g. `driving_licence`, `passport`, `civil_id`,
    `vehicle_registration`, `birth_certificate`); `tracking_number` links it to the request it answers.
    """

    TYPE = "om.portal.ministry.document.issued.v1"
    national_id: str = Field(pattern=r"^\d{6,10}$")
    document_type: str = Field(min_length=2, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    number: SafeText = Field(min_length=1, max_length=64)
    issued_on: Day
    expires_on: Day | None = None
    tracking_number: str | None = Field(default=None, max_length=40)
    occurred_at: Moment
