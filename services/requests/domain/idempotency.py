"""Idempotent submissions (the IETF Idempotency-Key header): a citizen's app that retries after a timeout gets
the first answer back instead of a second request, for a day; the same key with other answers is a mistake."""

import hashlib
import json
import re
from datetime import datetime, timedelta
from typing import Any

KEPT_FOR = timedelta(hours=24)
# The draft makes the key a structured-field string: printable ASCII, sent quoted or (commonly) bare.
_KEY = re.compile(r'^"?([\x20-\x21\x23-\x7e]{1,255})"?$')


def parse_idempotency_key(value: str) -> str | None:
    """The key as sent, unquoted; None when it is not a usable key."""
    match = _KEY.match(value.strip())
    return match.group(1) if match else None


def fingerprint(service: str, fields: dict[str, Any]) -> str:
    """The same answers in any key order or spacing are the same submission."""
    canonical = json.dumps({"service": service, "fields": fields}, sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def still_kept(created_at: datetime, now: datetime) -> bool:
    return now - created_at < KEPT_FOR
