"""What a ministry publishes on portal.from-ministries, under its own broker user (routing key `<code>.…`)."""

from datetime import datetime
from typing import Literal

from shared.contracts.base import IntegrationEvent, SafeText

MinistryStatus = Literal["received", "in_review", "action_required", "approved", "rejected", "completed"]


class RequestStatusUpdated(IntegrationEvent):
    """Routing key `<ministry>.request.status_updated`."""

    TYPE = "om.portal.ministry.request.status_updated.v1"
    tracking_number: str
    status: MinistryStatus
    note: SafeText | None = None
    occurred_at: datetime
