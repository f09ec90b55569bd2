"""Events the notifications service publishes. They never carry contact details (an email address, a phone
number): only which notification, on which channel, and why it could not be delivered."""

from datetime import datetime
from typing import Literal

from shared.contracts.base import IntegrationEvent


class DeliveryFailed(IntegrationEvent):
    """On portal.events with key `notifications.delivery.failed`: a channel gave up on a notification for good
    (refused, or still failing after every retry). `fallback_channel` is the channel tried next, if any."""

    TYPE = "om.portal.notifications.delivery.failed.v1"
    notification_id: str
    delivery_id: str
    # The event that caused the notification (e.g. a RequestStatusChanged id).
    source_event_id: str
    kind: str
    tracking_number: str | None = None
    channel: Literal["email", "sms"]
    reason: str
    attempts: int
    fallback_channel: Literal["email", "sms"] | None = None
    failed_at: datetime
