"""Who is calling: a citizen's OpenID Connect token, a development token, or a ministry's API key."""

import asyncio
import hashlib
import re
import time
from typing import Any, Literal

import jwt
from pydantic import BaseModel, ConfigDict, Field

from services.gateway.domain import DEV_AUDIENCE, DEV_ISSUER, STAFF_ROLES, retry_after_header
from services.gateway.handlers.deps import Deps
from shared.auth import IDENTITY_HEADER, Identity, Role, generate_keypair
from shared.logging import get_logger
from shared.tracing import TRACEPARENT, outgoing_traceparent
from shared.web import Problem

log = get_logger(__name__)
API_KEY_PREFIX = "pk_"
CIVIL_NUMBER = re.compile(r"^[0-9]{6,10}$")
# Asymmetric algorithms only: `none` and HMAC (where a public key could be misused as a secret) never pass.
TOKEN_ALGORITHMS = ["RS256", "PS256", "ES256", "EdDSA"]
LEEWAY_SECONDS = 30


class Throttled(Problem):
    """A problem that carries a Retry-After header (429 from rate limits, 503 from an open breaker)."""

    def __init__(self, status: int, code: str, detail: str, retry_after: float, **extensions: Any) -> None:
        super().__init__(status, code, detail, **extensions)
        self.headers = {"Retry-After": retry_after_header(retry_after)}


class DevSignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    national_id: str = Field(pattern=r"^\d{6,10}$")
    name: str = Field(min_length=1, max_length=200)
    lang: Literal["ar", "en"] = "ar"
    role: Literal["citizen", "officer", "service_manager", "admin"] = "citizen"
    ministry: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9]{1,15}$")


class DevIdentityProvider:
    """Stands in for the national identity provider under `make run` only: a local key, never in production."""

    def __init__(self) -> None:
        self._private, self._public = generate_keypair()

    def issue(self, sign_in: DevSignIn, lifetime_seconds: int = 8 * 3600) -> str:
        now = int(time.time())
        claims = {"iss": DEV_ISSUER, "aud": DEV_AUDIENCE, "sub": sign_in.national_id, "name": sign_in.name,
                  "lang": sign_in.lang, "role": sign_in.role, "ministry": sign_in.ministry, "iat": now,
                  "exp": now + lifetime_seconds}
        return jwt.encode(claims, self._private, algorithm="EdDSA")

    def verify(self, token: str) -> dict[str, Any]:
        claims: dict[str, Any] = jwt.decode(token, self._public, algorithms=["EdDSA"], audience=DEV_AUDIENCE,
                                            issuer=DEV_ISSUER, options={"require": ["exp", "sub", "iss", "aud"]})
        return claims


class OidcVerifier:
    """Verifies the identity provider's tokens against its JWKS: issuer, audience, expiry, algorithm allow-list."""

    def __init__(self, issuer: str, audience: str, jwks_url: str, jwks: jwt.PyJWKClient | None = None) -> None:
        self._issuer, self._audience = issuer, audience
        self._jwks = jwks or jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=3600, timeout=5)

    async def verify(self, token: str) -> dict[str, Any]:
        header = jwt.get_unverified_header(token)
        if header.get("alg") not in TOKEN_ALGORITHMS:
            raise jwt.InvalidAlgorithmError("the token's algorithm is not allowed")
        if not header.get("kid"):
            raise jwt.InvalidTokenError("the token names no key")
        key = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
        if key.algorithm_name not in TOKEN_ALGORITHMS:
            raise jwt.InvalidAlgorithmError("the provider's key is for an algorithm that is not allowed")
        claims: dict[str, Any] = jwt.decode(token, key.key, algorithms=[header["alg"]], audience=self._audience,
                                            issuer=self._issuer, leeway=LEEWAY_SECONDS,
                                            options={"require": ["exp", "iat", "sub", "iss", "aud"]})
        return claims


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
    from services.gateway.handlers.upstream import call_upstream

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
