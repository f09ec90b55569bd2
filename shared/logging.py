"""structlog logs: trace id on every line, personal data redacted before it is written.

JSON lines for machines; on a terminal (`make run`) a readable console line instead. PORTAL_LOG_FORMAT=json or
console chooses either way (auto: console on a terminal, JSON otherwise)."""

import functools
import logging
import os
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any, Literal

import structlog

from shared.tracing import current_trace_id

REDACTED = "[redacted]"
_PERSONAL_KEYS = re.compile(
    r"(national_?id|civil_?id|passport|phone|mobile|msisdn|e_?mail|address|password|secret|token|api_?key"
    r"|authorization|name_of_citizen|date_of_birth|dob)",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# Civil numbers are 6 to 10 digits and phone numbers 8 (+968 prefix): any run of 6+ digits goes.
_LONG_NUMBER = re.compile(r"(?<![\w-])\+?\d[\d ]{4,}\d(?![\w-])")


def redact_text(text: str) -> str:
    # Only a text with an "@" can hold an address: the address pattern, tried at every position of a text
    # without one, cost 8 µs on a UUID, most of what redacting a log line cost.
    if "@" in text:
        text = _EMAIL.sub(REDACTED, text)
    return _LONG_NUMBER.sub(REDACTED, text)


@functools.lru_cache(maxsize=4096)
def _personal_key(key: str) -> bool:
    """Whether a key names personal data; remembered, as the same few keys come on every line."""
    return _PERSONAL_KEYS.search(key) is not None


def _redact(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {k: REDACTED if _personal_key(str(k)) else _redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact(v) for v in value]
    return value


def redact_personal_data(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in list(event_dict.items()):
        if key == "event":
            continue
        event_dict[key] = REDACTED if _personal_key(key) else _redact(value)
    return event_dict


def add_trace_id(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    trace_id = current_trace_id()
    if trace_id:
        event_dict.setdefault("trace_id", trace_id)
    return event_dict


LogFormat = Literal["auto", "json", "console"]


def renderer(log_format: str | None = None) -> Any:
    chosen = (log_format or os.environ.get("PORTAL_LOG_FORMAT") or "auto").lower()
    if chosen == "console" or (chosen == "auto" and sys.stdout.isatty()):
        return structlog.dev.ConsoleRenderer(colors=sys.stdout.isatty())
    return structlog.processors.JSONRenderer(ensure_ascii=False)


def configure_logging(service: str, level: str = "info", log_format: LogFormat | None = None) -> None:
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            add_trace_id,
            # Tracebacks are rendered first so that what they quote is redacted too.
            structlog.processors.format_exc_info,
            redact_personal_data,
            renderer(log_format),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stdout),
        cache_logger_on_first_use=False,
    )
    structlog.contextvars.bind_contextvars(service=service)
    logging.basicConfig(level=max(numeric, logging.WARNING), stream=sys.stdout, format="%(message)s")


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)
