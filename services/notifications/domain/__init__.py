"""Notification rules: what a citizen is told when a request moves, in which language, on which channels.

No I/O and no framework here: templates (templates.py), preferences and contact details (preferences.py),
notifications and their deliveries, retries and fallback (deliveries.py).
"""

from datetime import datetime

from services.notifications.domain.deliveries import (
    PENDING,
    Accepted,
    Attempted,
    Deferred,
    Delivery,
    DeliveryStatus,
    Failed,
    Notification,
    Outcome,
    Refused,
    RetryPolicy,
    after_attempt,
    backoff,
    channel_delivery,
    due_at,
    idempotency_key,
    inbox_delivery,
    inbox_notification,
    next_channel,
    plan_notification,
)
from services.notifications.domain.errors import NotFound, NotificationsError
from services.notifications.domain.preferences import (
    CHANNELS,
    DEFAULT_LANG,
    INBOX,
    Channel,
    Preferences,
    QuietHours,
    choose_language,
    default_preferences,
)
from services.notifications.domain.templates import (
    BY_ID,
    FSI,
    LRI,
    LRM,
    PDI,
    RENEWAL_DUE,
    RLM,
    SAMPLE,
    SENDER_NAME,
    SUGGESTION_OFFERED,
    SURVEY_INVITED,
    TEMPLATES,
    EmailContent,
    Kind,
    Lang,
    Personalisation,
    Rendered,
    Template,
    absolute_link,
    document_label,
    in_lang,
    isolate,
    isolate_ltr,
    link_of,
    render_email,
    render_inbox,
    render_sms,
    render_status_change,
    request_link,
    strip_bidi_controls,
)
from shared.contracts.requests import Status

__all__ = [
    "BY_ID", "CHANNELS", "DEFAULT_LANG", "FSI", "INBOX", "LRI", "LRM", "PDI", "PENDING",
    "RENEWAL_DUE", "RLM", "SAMPLE", "SENDER_NAME", "SUGGESTION_OFFERED", "SURVEY_INVITED", "TEMPLATES", "Accepted",
    "Attempted", "Channel", "Deferred", "Delivery", "DeliveryStatus", "EmailContent", "Failed", "Kind", "Lang",
    "NotFound", "Notification", "NotificationsError", "Outcome", "Personalisation", "Preferences", "QuietHours",
    "Refused", "Rendered", "RetryPolicy", "Template", "absolute_link", "after_attempt", "backoff", "channel_delivery",
    "choose_language", "default_preferences", "document_label", "due_at", "idempotency_key", "in_lang",
    "inbox_delivery", "inbox_notification", "isolate", "isolate_ltr", "link_of", "next_channel", "plan_notification",
    "render_email", "render_inbox", "render_sms", "render_status_change", "request_link", "status_notification",
    "strip_bidi_controls"
]


def status_notification(*, event_id: str, citizen: str, lang: Lang, status: Status, tracking_number: str,
                        service: str, note: str | None, now: datetime) -> Notification:
    """The inbox entry for a request's status change."""
    return inbox_notification(event_id=event_id, citizen=citizen, template=TEMPLATES[status], lang=lang, now=now,
                              values=Personalisation(tracking_number=tracking_number, service=service, note=note))
