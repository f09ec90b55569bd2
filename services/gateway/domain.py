"""Which upstream serves a path, and who may call it. No I/O."""

import re
from dataclasses import dataclass
from typing import Literal

Upstream = Literal["catalog", "search", "requests", "notifications"]
Access = Literal["public", "signed_in"]


@dataclass(frozen=True)
class Route:
    prefix: str
    upstream: Upstream
    access: Access


ROUTES = (
    Route("/api/v1/ministry/services", "catalog", "signed_in"),
    Route("/api/v1/ministry/requests", "requests", "signed_in"),
    Route("/api/v1/admin/ministries", "catalog", "signed_in"),
    Route("/api/v1/admin/readiness", "catalog", "signed_in"),
    Route("/api/v1/admin/dead-letters", "requests", "signed_in"),
    Route("/api/v1/admin/requests", "requests", "signed_in"),
    Route("/open-data/catalogue.jsonld", "catalog", "public"),
    Route("/open-data/catalogue.csv", "catalog", "public"),
    Route("/api/v1/services", "catalog", "public"),
    Route("/api/v1/search", "search", "public"),
    Route("/api/v1/requests", "requests", "signed_in"),
    Route("/api/v1/me/notifications", "notifications", "signed_in"),
    Route("/api/v1/me/preferences", "notifications", "signed_in"),
)


def route_for(path: str, raw_path: str | None = None) -> Route | None:
    """The route serving a path; None for paths that could climb out of it once an upstream normalises them."""
    raw = (raw_path or path).lower()
    if "%2f" in raw or "%5c" in raw or "\\" in path or "\x00" in path or \
            any(segment in (".", "..") for segment in path.split("/")):
        return None
    for route in ROUTES:
        if path == route.prefix or path.startswith(route.prefix + "/"):
            return route
    return None


_ESCAPED_NUL = re.compile(rb"\\u0000", re.IGNORECASE)
_ESCAPED_SURROGATE = re.compile(rb"\\u(d[89ab][0-9a-f]{2})(\\u(d[c-f][0-9a-f]{2}))?|\\u(d[c-f][0-9a-f]{2})",
                                re.IGNORECASE)


def unsafe_body(body: bytes) -> bool:
    """NUL bytes or unpaired surrogates, raw or JSON-escaped: nothing behind the gateway can store them."""
    if b"\x00" in body or _ESCAPED_NUL.search(body):
        return True
    return any(m.group(4) or not m.group(2) for m in _ESCAPED_SURROGATE.finditer(body))


DEV_ISSUER = "portal-dev-idp"
DEV_AUDIENCE = "portal"
STAFF_ROLES = ("officer", "service_manager", "admin")
