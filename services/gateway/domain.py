"""The gateway's rules: routes, rate limits, dashboard order. No I/O."""

import math
import re
from dataclasses import dataclass, field
from typing import Any, Literal

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
    Route("/api/v1/ministry/documents", "requests", "signed_in"),
    Route("/api/v1/ministry/channel-counts", "requests", "signed_in"),
    Route("/api/v1/ministry/workload", "requests", "signed_in"),
    Route("/api/v1/ministry/forecast", "requests", "signed_in"),
    Route("/api/v1/admin/onboarding", "catalog", "signed_in"),
    Route("/api/v1/admin/ministries", "catalog", "signed_in"),
    Route("/api/v1/admin/readiness", "catalog", "signed_in"),
    Route("/api/v1/admin/dead-letters", "requests", "signed_in"),
    Route("/api/v1/admin/requests", "requests", "signed_in"),
    Route("/api/v1/admin/calendar", "requests", "signed_in"),
    Route("/api/v1/admin/insights", "requests", "signed_in"),
    Route("/open-data/catalogue.jsonld", "catalog", "public"),
    Route("/open-data/catalogue.csv", "catalog", "public"),
    Route("/open-data/kpis.csv", "requests", "public"),
    Route("/open-data/kpis.json", "requests", "public"),
    Route("/api/v1/performance", "requests", "public"),
    Route("/api/v1/services", "catalog", "public"),
    Route("/api/v1/search", "search", "public"),
    Route("/api/v1/requests", "requests", "signed_in"),
    Route("/api/v1/me/documents", "requests", "signed_in"),
    Route("/api/v1/me/offers", "requests", "signed_in"),
    Route("/api/v1/me/proactive", "requests", "signed_in"),
    Route("/api/v1/me/suggestions", "requests", "signed_in"),
    Route("/api/v1/me/notifications", "notifications", "signed_in"),
    Route("/api/v1/me/preferences", "notifications", "signed_in"),
    Route("/api/v1/admin/search", "search", "signed_in"),
    Route("/api/v1/admin/notifications", "notifications", "signed_in"),
)


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def refused_path(path: str, raw_path: str | None = None) -> bool:
    """A path no route may see: one that could climb out of its route once an upstream normalises it, or one
    carrying C0/C1 control characters (no URL of ours has them, and no upstream client would send them on)."""
    raw = (raw_path or path).lower()
    if "%2f" in raw or "%5c" in raw or "\\" in path or _CONTROL.search(path):
        return True
    # Two list lookups rather than a generator over the segments: this runs twice for every forwarded call.
    segments = path.split("/")
    return "." in segments or ".." in segments


def route_for(path: str, raw_path: str | None = None) -> Route | None:
    """The route serving a path; None for a refused path."""
    if refused_path(path, raw_path):
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


@dataclass(frozen=True)
class ClaimRules:
    """Which claims say who someone is. A citizen provider's token makes a citizen, whatever role it claims;
    staff roles come only from the staff provider, through `staff_roles` (its role names → the portal's)."""

    civil_number: str = "sub"
    staff_role: str = "portal_role"
    staff_ministry: str = "portal_ministry"
    staff_roles: dict[str, str] = field(default_factory=dict)

    def staff_role_of(self, claimed: object) -> str | None:
        role = self.staff_roles.get(claimed) if isinstance(claimed, str) else None
        return role if role in STAFF_ROLES else None


# --- Rate limits: token buckets, one per caller, kept in memory by each replica ------------------------------

LimitKind = Literal["sign_in", "search", "submit"]
LIMIT_KINDS: tuple[LimitKind, ...] = ("sign_in", "search", "submit")
_SIGN_IN = frozenset({("POST", "/api/v1/auth/dev-token"), ("POST", "/sign-in"), ("GET", "/sign-in/callback"),
                      ("POST", "/workspace/sign-in"), ("GET", "/workspace/sign-in/callback")})
_SEARCH = frozenset({("GET", "/api/v1/search"), ("GET", "/search")})
_SUBMIT = re.compile(r"^/(api/v1/requests|api/v1/me/offers/[^/]+/submit|offers/[^/]+/submit|services/[^/]+/apply|"
                     r"open311/v2/requests\.[a-z]+)$")


def limit_kind(method: str, path: str) -> LimitKind | None:
    """The routes a script hammers and a person uses a handful of times: each has a bucket of its own."""
    if (method, path) in _SIGN_IN:
        return "sign_in"
    if (method, path) in _SEARCH:
        return "search"
    if method == "POST" and _SUBMIT.match(path):
        return "submit"
    return None



@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class RateLimiter:
    """A token bucket per key: `rate` tokens a second, up to `burst`; per replica, forgotten on restart."""

    rate: float
    burst: float
    max_keys: int = 100_000
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    def take(self, key: str, now: float) -> float:
        """0 when the call may go ahead; otherwise the seconds to wait before the next one would."""
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._buckets.clear()
            bucket = self._buckets[key] = _Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate if self.rate > 0 else 3600.0


def retry_after_header(wait_seconds: float) -> str:
    return str(max(1, math.ceil(wait_seconds)))


# --- The dashboard --------------------------------------------------------------------------------------------

CLOSED_STATUSES = frozenset({"completed", "rejected", "cancelled"})


def dashboard_order(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Open requests first (overdue ones at the top), then closed ones; newest first within each group."""
    newest_first = sorted(requests, key=lambda item: str(item.get("updated_at") or ""), reverse=True)
    return sorted(newest_first, key=lambda item: (item.get("status") in CLOSED_STATUSES, not item.get("overdue")))


def merged_suggestions(rules: list[dict[str, Any]], learned: list[dict[str, Any]],
                       dismissed: frozenset[str] = frozenset(), limit: int = 3) -> list[dict[str, Any]]:
    """The life-event rules' suggestions first, then the learned ones, each service once, at most `limit`;
    never one the citizen dismissed."""
    seen = set(dismissed)
    merged = []
    for item in [*rules, *learned]:
        if item["slug"] not in seen:
            seen.add(item["slug"])
            merged.append(item)
    return merged[:limit]


def suggestions_from(life_events: dict[str, list[str]], requested: set[str], limit: int = 6) -> list[str]:
    """Slugs of services that usually follow the life events of what the citizen already asked for."""
    seen: list[str] = []
    for slugs in life_events.values():
        for slug in slugs:
            if slug not in requested and slug not in seen:
                seen.append(slug)
    return seen[:limit]
