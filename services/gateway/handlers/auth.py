"""Who is calling: a citizen's OpenID Connect token, a development token, or a ministry's API key."""

import hashlib
import re
import time
from datetime import UTC, datetime
from typing import Any, cast

import jwt
from prometheus_client import Counter

from services.gateway.adapters.dev_identity import DevSignIn
from services.gateway.adapters.oidc import LEEWAY_SECONDS, ProviderUnavailable
from services.gateway.adapters.upstream import call_upstream
from services.gateway.domain import DEV_ISSUER, STAFF_ROLES, ClaimRules, LimitKind
from services.gateway.handlers.deps import Deps
from services.gateway.problems import Throttled
from services.gateway.store import token_id
from shared.auth import IDENTITY_HEADER, Identity, Role
from shared.logging import get_logger
from shared.web import Problem

log = get_logger(__name__)
API_KEY_PREFIX = "pk_"
CIVIL_NUMBER = re.compile(r"^[0-9]{6,10}$")
# A token that claims to live longer is remembered as signed out for this long, no longer.
MAX_SESSION_SECONDS = 24 * 3600


def _checked(identity: Identity) -> Identity:
    if len(identity.subject) > 64 or len(identity.name or "") > 200:
        raise Problem(401, "unauthenticated", "The token's identity claims are too long.")
    return identity


def _lang(claims: dict[str, Any]) -> str:
    return "en" if claims.get("lang") == "en" or str(claims.get("locale") or "").startswith("en") else "ar"


def citizen_from_claims(claims: dict[str, Any], rules: ClaimRules) -> Identity:
    """A citizen provider's token: a citizen, named by their civil number, whatever else it claims."""
    subject = str(claims.get(rules.civil_number) or "")
    if not CIVIL_NUMBER.match(subject):
        raise Problem(401, "unauthenticated", "The identity provider gave no civil number for this citizen.")
    name = claims.get("name")
    return _checked(Identity(subject=subject, role="citizen", name=str(name) if name else None, lang=_lang(claims)))


def staff_from_claims(claims: dict[str, Any], rules: ClaimRules) -> Identity:
    """A staff provider's token: the role its mapped claim gives, for the ministry its claim names."""
    role = rules.staff_role_of(claims.get(rules.staff_role))
    if role is None:
        raise Problem(401, "unauthenticated", "The staff identity provider gave no role the portal knows.")
    ministry = claims.get(rules.staff_ministry)
    ministry = str(ministry) if ministry and role != "admin" else None
    if role in ("officer", "service_manager") and not ministry:
        raise Problem(401, "unauthenticated", "A ministry staff token must name its ministry.")
    name = claims.get("name")
    return _checked(Identity(subject=str(claims["sub"]), role=cast(Role, role), ministry=ministry,
                             name=str(name) if name else None, lang=_lang(claims)))


def dev_identity(claims: dict[str, Any]) -> Identity:
    """The development sign-in's own tokens, which carry the role chosen on its form (`make run` only)."""
    role: Role = claims.get("role") or "citizen"
    if role not in ("citizen", *STAFF_ROLES):
        raise Problem(401, "unauthenticated", "The token carries a role the portal does not know.")
    if role in ("officer", "service_manager") and not claims.get("ministry"):
        raise Problem(401, "unauthenticated", "A ministry staff token must name its ministry.")
    subject = str(claims["sub"])
    if role == "citizen" and not CIVIL_NUMBER.match(subject):
        raise Problem(401, "unauthenticated", "The identity provider gave no civil number for this citizen.")
    return _checked(Identity(subject=subject, role=role, ministry=claims.get("ministry"), name=claims.get("name"),
                             lang=_lang(claims)))


async def _ministry_for_key(api_key: str, deps: Deps) -> str | None:
    cached, ministry = deps.api_keys.get(api_key)
    if cached:
        return ministry
    system = deps.signer.sign(Identity("gateway", "system"))
    response = await call_upstream(deps, "catalog", "POST", "/internal/v1/api-keys/verify",
                                   json={"api_key": api_key},
                                   headers={IDENTITY_HEADER: system})
    if response.status_code not in (200, 404):
        raise Problem(503, "upstream-unavailable", "Ministry keys cannot be checked right now.")
    ministry = response.json()["ministry"] if response.status_code == 200 else None
    deps.api_keys.put(api_key, ministry)
    return ministry


THROTTLED = Counter("portal_gateway_throttled_total", "Requests refused with 429, by the limit they met",
                    ["limit"])


def _throttle(limiter_wait: float, who: str) -> None:
    if limiter_wait > 0:
        THROTTLED.labels(who).inc()
        log.info("rate_limited", caller_kind=who)
        raise Throttled(429, "rate-limited", "Too many requests: please wait a moment and try again.",
                        limiter_wait)


def limit_address(address: str, deps: Deps) -> None:
    _throttle(deps.limits.address.take(address, deps.clock()), "address")


def limit_route(kind: LimitKind, caller: str, deps: Deps) -> None:
    """`caller`: the credential presented (hashed here), or the address when there is none."""
    limiter = deps.limits.routes.get(kind)
    if limiter is not None:
        _throttle(limiter.take(hashlib.sha256(caller.encode()).hexdigest(), deps.clock()), kind)


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
    identity = await _verified_once(credential, deps)
    if await deps.signed_out.is_revoked(credential):
        raise Problem(401, "unauthenticated", "This session was signed out; sign in again.")
    _throttle(deps.limits.citizen.take(f"{identity.role}:{identity.subject}", deps.clock()), "citizen")
    return identity


def issued_by(token: str, issuer: str) -> bool:
    try:
        return jwt.decode(token, options={"verify_signature": False}).get("iss") == issuer
    except jwt.PyJWTError:
        return False


def _audiences(claims: dict[str, Any]) -> list[str]:
    audience = claims.get("aud")
    return [audience] if isinstance(audience, str) else [str(a) for a in audience or []]


def _verifier_for(credential: str, deps: Deps) -> str:
    """Which provider a token claims to come from (checked by that provider's verifier, never taken on trust)."""
    unverified = jwt.decode(credential, options={"verify_signature": False})
    issuer = unverified.get("iss")
    if deps.dev_idp is not None and issuer == DEV_ISSUER:
        return "dev"
    staff, citizens = deps.staff_oidc, deps.oidc
    if staff is not None and issuer == staff.issuer and (
            citizens is None or citizens.issuer != issuer or staff.audience in _audiences(unverified)):
        return "staff"
    if citizens is not None and issuer == citizens.issuer:
        return "citizen"
    raise Problem(401, "unauthenticated", "No identity provider accepts this token.")


async def _verified(credential: str, deps: Deps) -> Identity:
    try:
        kind = _verifier_for(credential, deps)
        if kind == "dev" and deps.dev_idp is not None:
            return dev_identity(deps.dev_idp.verify(credential))
        if kind == "staff" and deps.staff_oidc is not None:
            return staff_from_claims(await deps.staff_oidc.verify(credential), deps.claims)
        if deps.oidc is not None:
            return citizen_from_claims(await deps.oidc.verify(credential), deps.claims)
    except ProviderUnavailable as exc:
        raise Problem(503, "upstream-unavailable", "The identity provider is not answering; please try again "
                      "shortly.", upstream="identity-provider") from exc
    except jwt.PyJWTError as exc:
        raise Problem(401, "unauthenticated", "The sign-in token is not valid or has expired.") from exc
    raise Problem(401, "unauthenticated", "No identity provider accepts this token.")


async def _verified_once(credential: str, deps: Deps) -> Identity:
    """_verified, remembered by the token's hash until the token expires (or VERIFIED_TOKEN_SECONDS pass)."""
    key = token_id(credential)
    kept = deps.verified.get(key)
    if kept is not None and deps.wall_clock() < kept[1]:
        return kept[0]
    identity = await _verified(credential, deps)
    expires = jwt.decode(credential, options={"verify_signature": False}).get("exp")
    if isinstance(expires, int | float):
        deps.verified.put(key, (identity, float(expires)))
    return identity


async def sign_out(token: str | None, deps: Deps) -> Identity | None:
    """Ends the session: its token is refused from now until it would have expired, on this replica at once and on
    the others within GATEWAY_SIGNED_OUT_RECHECK_SECONDS.
    The signed-out identity is returned (None for a token that was no longer good anyway)."""
    if not token:
        return None
    try:
        identity = await _verified(token, deps)
    except Problem as exc:
        if exc.extensions.get("upstream") != "identity-provider":
            return None
        identity = None  # the provider cannot be asked: end the portal's session all the same
    try:
        expires = int(jwt.decode(token, options={"verify_signature": False}).get("exp") or 0)
    except jwt.PyJWTError:
        return None
    now = int(time.time())
    expires = min(max(expires, now), now + MAX_SESSION_SECONDS) + LEEWAY_SECONDS
    await deps.signed_out.revoke(token, datetime.fromtimestamp(expires, UTC))
    log.info("signed_out", role=identity.role if identity else "unknown")
    return identity


def issue_dev_token(sign_in: DevSignIn, deps: Deps) -> str:
    if deps.dev_idp is None:
        raise Problem(404, "not-found", "Development sign-in is off.")
    if sign_in.role in ("officer", "service_manager") and not sign_in.ministry:
        raise Problem(422, "ministry-required", "Ministry staff sign in for one ministry.")
    return deps.dev_idp.issue(sign_in)
