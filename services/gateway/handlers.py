import asyncio
import re
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
import jwt
from pydantic import BaseModel, ConfigDict, Field

from services.gateway.domain import DEV_AUDIENCE, DEV_ISSUER, STAFF_ROLES, Route, Upstream, unsafe_body
from services.gateway.store import ApiKeyCache
from shared.auth import IDENTITY_HEADER, Identity, IdentitySigner, Role, generate_keypair
from shared.logging import get_logger
from shared.tracing import TRACEPARENT, outgoing_traceparent
from shared.web import Problem

log = get_logger(__name__)
API_KEY_PREFIX = "pk_"
CIVIL_NUMBER = re.compile(r"^[0-9]{6,10}$")
TOKEN_ALGORITHMS = ["RS256", "ES256", "EdDSA"]
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "host",
              "content-length", "authorization", IDENTITY_HEADER, "cookie"}


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
                                            issuer=DEV_ISSUER, options={"require": ["exp", "sub", "iss"]})
        return claims


class OidcVerifier:
    def __init__(self, issuer: str, audience: str, jwks_url: str) -> None:
        self._issuer, self._audience = issuer, audience
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=3600)

    async def verify(self, token: str) -> dict[str, Any]:
        key = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
        claims: dict[str, Any] = jwt.decode(token, key.key, algorithms=TOKEN_ALGORITHMS, audience=self._audience,
                                            issuer=self._issuer, options={"require": ["exp", "sub", "iss"]})
        return claims


@dataclass
class Deps:
    signer: IdentitySigner
    upstreams: dict[Upstream, httpx.AsyncClient]
    api_keys: ApiKeyCache
    dev_idp: DevIdentityProvider | None
    oidc: OidcVerifier | None
    max_body_bytes: int
    bus_contract: dict[str, Any] = field(default_factory=dict)


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
    response = await deps.upstreams["catalog"].post("/internal/v1/api-keys/verify", json={"api_key": api_key},
                                                    headers={IDENTITY_HEADER: system,
                                                             TRACEPARENT: outgoing_traceparent()})
    if response.status_code not in (200, 404):
        raise Problem(503, "upstream-unavailable", "Ministry keys cannot be checked right now.")
    ministry = response.json()["ministry"] if response.status_code == 200 else None
    deps.api_keys.put(api_key, ministry)
    return ministry


async def authenticate(authorization: str | None, deps: Deps) -> Identity | None:
    if not authorization:
        return None
    scheme, _, credential = authorization.partition(" ")
    if scheme.lower() != "bearer" or not credential:
        raise Problem(401, "unauthenticated", "Send credentials as 'Authorization: Bearer …'.")
    if credential.startswith(API_KEY_PREFIX):
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
    return _identity_from_claims(claims)


def issue_dev_token(sign_in: DevSignIn, deps: Deps) -> str:
    if deps.dev_idp is None:
        raise Problem(404, "not-found", "Development sign-in is off.")
    if sign_in.role in ("officer", "service_manager") and not sign_in.ministry:
        raise Problem(422, "ministry-required", "Ministry staff sign in for one ministry.")
    return deps.dev_idp.issue(sign_in)


@dataclass(frozen=True)
class Forwarded:
    status: int
    headers: dict[str, str]
    body: bytes


async def forward(route: Route, method: str, path: str, query: str, headers: dict[str, str], body: bytes,
                  identity: Identity | None, deps: Deps) -> Forwarded:
    if route.access == "signed_in" and identity is None:
        raise Problem(401, "unauthenticated", "Sign in to continue.")
    if len(body) > deps.max_body_bytes:
        raise Problem(413, "body-too-large", f"Requests are limited to {deps.max_body_bytes} bytes.")
    if unsafe_body(body) or "\x00" in query or "%00" in query:
        raise Problem(422, "invalid-text", "Text may not contain NUL characters or unpaired surrogates.")
    outgoing = {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}
    outgoing[TRACEPARENT] = outgoing_traceparent()
    if identity is not None:
        outgoing[IDENTITY_HEADER] = deps.signer.sign(identity)
    client = deps.upstreams[route.upstream]
    attempts = 3 if method in ("GET", "HEAD") else 1
    for attempt in range(1, attempts + 1):
        try:
            response = await client.request(method, path, params=query or None, headers=outgoing, content=body)
            break
        except httpx.TransportError as exc:
            # Only reads are retried: a write might have landed before the connection broke.
            if attempt == attempts:
                log.warning("upstream_unavailable", upstream=route.upstream, error=type(exc).__name__)
                raise Problem(503, "upstream-unavailable",
                              f"The {route.upstream} service is unavailable; the rest of the portal still works.",
                              upstream=route.upstream) from exc
            await asyncio.sleep(0.05 * 2 ** attempt)
    kept = {k: v for k, v in response.headers.items() if k.lower() in ("content-type", "retry-after", "location")}
    return Forwarded(response.status_code, kept, response.content)


async def upstream_ready(client: httpx.AsyncClient) -> bool:
    response = await client.get("/readyz", timeout=2.0)
    return response.status_code == 200


async def search_services(q: str, lang: str, deps: Deps) -> dict[str, Any]:
    try:
        response = await deps.upstreams["search"].get("/api/v1/search", params={"q": q, "lang": lang},
                                                       headers={TRACEPARENT: outgoing_traceparent()})
    except httpx.TransportError as exc:
        raise Problem(503, "upstream-unavailable", "Search is unavailable right now.") from exc
    if response.status_code != 200:
        raise Problem(503, "upstream-unavailable", "Search is unavailable right now.")
    found: dict[str, Any] = response.json()
    return found
