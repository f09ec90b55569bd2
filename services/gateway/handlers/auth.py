"""Who is calling: a citizen's OpenID Connect token, a development token, or a ministry's API key."""

import hashlib
import re
from typing import Any

import jwt

from services.gateway.adapters.dev_identity import DevSignIn
from services.gateway.adapters.upstream import call_upstream
from services.gateway.domain import DEV_ISSUER, STAFF_ROLES
from services.gateway.handlers.deps import Deps
from services.gateway.problems import Throttled
from shared.auth import IDENTITY_HEADER, Identity, Role
from shared.logging import get_logger
from shared.tracing import TRACEPARENT, outgoing_traceparent
from shared.web import Problem

log = get_logger(__name__)
API_KEY_PREFIX = "pk_"
CIVIL_NUMBER = re.compile(r"^[0-9]{6,10}$")


def _identity_from_claims(claims: dict[str, Any]) -> Identity:
    role: Role = claims.get("role") or "citizen"
    if role not in ("citizen", *STAFF_ROLES):
        raise Problem(401, "unauthenticated", "The token carries a role the portal does not know.")
    if role in ("officer", "service_manager") and not claims.get("ministry"):
        raise Problem(401, "unauthenticated", "A ministry staff token must name its ministry.")
    subject = str(claims.get("national_id") or claims["sub"])
    if role == "citizen" and not CIVIL_NUMBER.match(subject):
        raise Problem(401, "unauthenticated", "The identity provider gave no civil number for this citizen.")
    if len(subject) > 64 or len(str(claims.get("name") or "")) > 200:
        raise Problem(401, "unauthenticated", "The token's identity claims are too long.")
    return Identity(subject=subject, role=role, ministry=claims.get("ministry"), name=claims.get("name"),
                    lang="en" if claims.get("lang") == "en" else "ar")


async def _ministry_for_key(api_key: str, deps: Deps) -> str | None:
    cached, ministry = deps.api_keys.get(api_key)
    if cached:
        return ministry
    system = deps.signer.sign(Identity("gateway", "system"))
    response = await call_upstream(deps, "catalog", "POST", "/internal/v1/api-keys/verify",
                                   json={"api_key": api_key},
                                   headers={IDENTITY_HEADER: system, TRACEPARENT: outgoing_traceparent()})
    if response.status_code not in (200, 404):
        raise Problem(503, "upstream-unavailable", "Ministry keys cannot be checked right now.")
    ministry = response.json()["ministry"] if response.status_code == 200 else None
    deps.api_keys.put(api_key, ministry)
    return ministry


def _throttle(limiter_wait: float, who: str) -> None:
    if limiter_wait > 0:
        log.info("rate_limited", caller_kind=who)
        raise Throttled(429, "rate-limited", "Too many requests: please wait a moment and try again.",
                        limiter_wait)


def limit_address(address: str, deps: Deps) -> None:
    _throttle(deps.limits.address.take(address, deps.clock()), "address")


async def authenticate(authorization: str | None, deps: Deps) -> Identity | None:
    if not authorization:
        return None
    scheme, _, credential = authorization.partition(" ")
    if scheme.lower() != "bearer" or not credential:
        raise Problem(401, "unauthenticated", "Send credentials as 'Authorization: Bearer …'.")
    if credential.startswith(API_KEY_PREFIX):
        _throttle(deps.limits.api_key.take(hashlib.sha256(credential.encode()).hexdigest(), deps.clock()),
                  "api_key")
        ministry = await _ministry_for_key(credential, deps)
        if ministry is None:
            raise Problem(401, "unauthenticated", "This API key is not valid.")
        return Identity(subject=ministry, role="ministry", ministry=ministry)
    try:
        issuer = jwt.decode(credential, options={"verify_signature": False}).get("iss")
        if deps.dev_idp is not None and issuer == DEV_ISSUER:
            claims = deps.dev_idp.verify(credential)
        elif deps.oidc is not None:
            claims = await deps.oidc.verify(credential)
        else:
            raise Problem(401, "unauthenticated", "No identity provider accepts this token.")
    except jwt.PyJWTError as exc:
        raise Problem(401, "unauthenticated", "The sign-in token is not valid or has expired.") from exc
    identity = _identity_from_claims(claims)
    _throttle(deps.limits.citizen.take(f"{identity.role}:{identity.subject}", deps.clock()), "citizen")
    return identity


def issue_dev_token(sign_in: DevSignIn, deps: Deps) -> str:
    if deps.dev_idp is None:
        raise Problem(404, "not-found", "Development sign-in is off.")
    if sign_in.role in ("officer", "service_manager") and not sign_in.ministry:
        raise Problem(422, "ministry-required", "Ministry staff sign in for one ministry.")
    return deps.dev_idp.issue(sign_in)
