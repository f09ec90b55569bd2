"""W3C trace context carried across HTTP headers and AMQP messages."""

import re
import secrets
from contextvars import ContextVar

TRACEPARENT = "traceparent"
_PATTERN = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_current: ContextVar[str | None] = ContextVar("traceparent", default=None)


def new_traceparent(trace_id: str | None = None) -> str:
    return f"00-{trace_id or secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


def parse_trace_id(traceparent: str | None) -> str | None:
    match = _PATTERN.match(traceparent or "")
    return match.group(1) if match else None


def current_traceparent() -> str | None:
    return _current.get()


def current_trace_id() -> str | None:
    return parse_trace_id(_current.get())


def continue_trace(incoming: str | None) -> str:
    """Start a new span under the incoming trace, or a new trace when there is none or it is malformed."""
    traceparent = new_traceparent(parse_trace_id(incoming))
    _current.set(traceparent)
    return traceparent


def outgoing_traceparent() -> str:
    return new_traceparent(current_trace_id())
