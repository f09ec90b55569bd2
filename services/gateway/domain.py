"""Which upstream serves a path, and who may call it. No I/O."""

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


DEV_ISSUER = "portal-dev-idp"
DEV_AUDIENCE = "portal"
STAFF_ROLES = ("officer", "service_manager", "admin")
