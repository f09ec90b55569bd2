"""CSRF protection for the web UI's forms: a token signed for the browser's own random cookie, with a time."""

import hashlib
import hmac
import secrets
import time

CSRF_COOKIE = "portal_csrf"
FIELD = "csrf_token"
LIFETIME_SECONDS = 4 * 3600


def new_browser_id() -> str:
    return secrets.token_urlsafe(24)


def _mac(secret: bytes, browser_id: str, issued: int) -> str:
    return hmac.new(secret, f"{browser_id}.{issued}".encode(), hashlib.sha256).hexdigest()


def issue(secret: bytes, browser_id: str, now: float | None = None) -> str:
    issued = int(now if now is not None else time.time())
    return f"{issued}.{_mac(secret, browser_id, issued)}"


def valid(secret: bytes, browser_id: str | None, token: str | None, now: float | None = None) -> bool:
    if not browser_id or not token or "." not in token:
        return False
    issued_text, _, mac = token.partition(".")
    if not issued_text.isdigit():
        return False
    issued = int(issued_text)
    age = (now if now is not None else time.time()) - issued
    return 0 <= age <= LIFETIME_SECONDS and hmac.compare_digest(mac, _mac(secret, browser_id, issued))
