"""The requests service's rules, no I/O: the lifecycle, renewals and life events, KPIs, completion estimates."""

from services.requests.domain.lifecycle import (
    AWAITING_DECISION,
    OPEN_STATUSES,
    Actor,
    Conflict,
    FieldError,
    Forbidden,
    Invalid,
    NotFound,
    Outcome,
    RequestError,
    Status,
    Unavailable,
    decide,
    is_overdue,
    legal_moves,
    parse_tracking_number,
    stored_fields,
    takes_requests_online,
    validate_fields,
)

__all__ = [
    "AWAITING_DECISION", "OPEN_STATUSES", "Actor", "Conflict", "FieldError", "Forbidden", "Invalid", "NotFound",
    "Outcome", "RequestError", "Status", "Unavailable", "decide",
    "is_overdue", "legal_moves", "parse_tracking_number",
    "stored_fields", "takes_requests_online", "validate_fields",
]
