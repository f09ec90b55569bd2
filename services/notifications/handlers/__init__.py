"""The notifications service's use cases, a module per kind of message: the requests service's events
(events), the dispatcher's deliveries (deliveries), a citizen's inbox and preferences, operators' templates."""

from services.notifications.handlers.deliveries import (
    DELIVERY_FAILED_KEY,
    ClaimDue,
    RecordAttempts,
    claim_due_deliveries,
    delivery_counts,
    record_attempts,
)
from services.notifications.handlers.deps import DEFAULT_RETRY, DELIVERIES, Deps, ServiceTitles, SlugsOnly
from services.notifications.handlers.events import (
    RENEWAL_CONSUMER,
    STATUS_CONSUMER,
    SUGGESTION_CONSUMER,
    SURVEY_CONSUMER,
    Occurrence,
    queue_notifications,
    renewal_due,
    request_events,
    status_changed,
    suggestion_offered,
    survey_invited,
)
from services.notifications.handlers.inbox import (
    MarkAllRead,
    MarkRead,
    NotificationPage,
    list_notifications,
    mark_all_read,
    mark_read,
)
from services.notifications.handlers.preferences import SetPreferences, find_preferences, set_preferences
from services.notifications.handlers.templates import Preview, PreviewTemplate, list_templates, preview_template

__all__ = [
    "DEFAULT_RETRY",
    "DELIVERIES",
    "DELIVERY_FAILED_KEY",
    "RENEWAL_CONSUMER",
    "STATUS_CONSUMER",
    "SUGGESTION_CONSUMER",
    "SURVEY_CONSUMER",
    "ClaimDue",
    "Deps",
    "MarkAllRead",
    "MarkRead",
    "NotificationPage",
    "Occurrence",
    "Preview",
    "PreviewTemplate",
    "RecordAttempts",
    "ServiceTitles",
    "SetPreferences",
    "SlugsOnly",
    "claim_due_deliveries",
    "delivery_counts",
    "find_preferences",
    "list_notifications",
    "list_templates",
    "mark_all_read",
    "mark_read",
    "preview_template",
    "queue_notifications",
    "record_attempts",
    "renewal_due",
    "request_events",
    "set_preferences",
    "status_changed",
    "suggestion_offered",
    "survey_invited",
]
