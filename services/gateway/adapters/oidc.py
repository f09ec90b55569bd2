"""An OpenID Connect provider as the gateway sees it: its discovery document and keys, and the tokens it signs.

OpenID Connect Discovery 1.0 gives the endpoints, the keys' address and the algorithms; settings may override each
URL. Both documents are cached and refreshed; a token naming a key the cache lacks triggers one early refresh of
the keys (the provider rotated them), no more often than `min_refresh_seconds`, so forged key ids cannot make the
gateway hammer the provider.
"""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt

from shared.logging import get_logger

log = get_logger(__name__)
# Asymmetric algorithms only: `none` and HMAC (where a public key could be misused as a secret) never pass.
TOKEN_ALGORITHMS = ("RS256", "PS256", "ES256", "EdDSA")
LEEWAY_SECONDS = 30
DISCOVERY_PATH = "/.well-known/openid-configuration"
UNREACHABLE_RETRY_SECONDS = 5.0


class ProviderUnavailable(Exception):
    """The identity provider's discovery document or keys could not be read, and none are cached."""


@dataclass(frozen=True)
class Endpoints:
    """Settings that replace what discovery says (each may be None: take the provider's)."""

    authorization: str | None = None
    token: str | None = None
    jwks: str | None = None
    end_session: str | None = None


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str | None
    token_endpoint: str | None
    jwks_uri: str
    end_session_endpoint: str | None
    algorithms: tuple[str, ...]
    iss_in_authorization_response: bool


@dataclass
class _Cached:
    value: Any = None
    fetched_at: float = float("-inf")


@dataclass
class OidcProvider:
    issuer: str
    http: httpx.AsyncClient
    overrides: Endpoints = field(default_factory=Endpoints)
    refresh_seconds: float = 3600.0
    min_refresh_seconds: float = 30.0
    clock: Callable[[], float] = time.monotonic
    _metadata: _Cached = field(default_factory=_Cached)
    _keys: _Cached = field(default_factory=_Cached)
    _unreachable_since: float = float("-inf")
    _metadata_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _keys_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def _get_json(self, url: str) -> dict[str, Any]:
        response = await self.http.get(url, headers={"Accept": "application/json"})
        response.raise_for_status()
        document = response.json()
        if not isinstance(document, dict):
            raise ValueError("not a JSON object")
        return document

    def _discovered(self, document: dict[str, Any]) -> ProviderMetadata:
        if document.get("issuer") != self.issuer:
            # Discovery §4.3: the document must name the issuer it was fetched for.
            raise ValueError("the discovery document names another issuer")
        jwks_uri = self.overrides.jwks or document.get("jwks_uri")
        if not isinstance(jwks_uri, str):
            raise ValueError("the discovery document names no jwks_uri")
        advertised = document.get("id_token_signing_alg_values_supported") or list(TOKEN_ALGORITHMS)
        return ProviderMetadata(
            issuer=self.issuer,
            authorization_endpoint=self.overrides.authorization or document.get("authorization_endpoint"),
            token_endpoint=self.overrides.token or document.get("token_endpoint"),
            jwks_uri=jwks_uri,
            end_session_endpoint=self.overrides.end_session or document.get("end_session_endpoint"),
            algorithms=tuple(a for a in advertised if a in TOKEN_ALGORITHMS),
            iss_in_authorization_response=document.get("authorization_response_iss_parameter_supported") is True)

    def sign_out_origins(self) -> set[str]:
        """Where a sign-out form's redirect may lead: the provider's own site and its end-session endpoint's."""
        known: ProviderMetadata | None = self._metadata.value
        urls = [self.issuer, self.overrides.end_session or (known.end_session_endpoint if known else None)]
        return {f"{p.scheme}://{p.netloc}" for p in map(urlsplit, filter(None, urls)) if p.scheme in ("http", "https")}

    def _by_hand(self) -> ProviderMetadata | None:
        o = self.overrides
        if not o.jwks:
            return None
        return ProviderMetadata(self.issuer, o.authorization, o.token, o.jwks, o.end_session, TOKEN_ALGORITHMS, False)

    def _due(self, cached: _Cached, refresh: bool = False) -> bool:
        age = self.clock() - cached.fetched_at
        return cached.value is None or age >= self.refresh_seconds or (refresh and age >= self.min_refresh_seconds)

    def _retry_soon(self, cached: _Cached) -> None:
        """Keep what the provider said last; ask again after `min_refresh_seconds`, not at every request."""
        cached.fetched_at = self.clock() - self.refresh_seconds + self.min_refresh_seconds

    async def metadata(self) -> ProviderMetadata:
        cached = self._metadata
        if cached.value is None and self.clock() - self._unreachable_since < UNREACHABLE_RETRY_SECONDS:
            # Just tried and failed: answer at once rather than queue every request behind another attempt.
            raise ProviderUnavailable("the identity provider's discovery document cannot be read")
        if self._due(cached):
            async with self._metadata_lock:
                if self._due(cached):
                    try:
                        cached.value = self._discovered(await self._get_json(self.issuer.rstrip("/") + DISCOVERY_PATH))
                        cached.fetched_at = self.clock()
                    except (httpx.HTTPError, ValueError) as exc:
                        log.warning("identity_provider_discovery_failed", error=type(exc).__name__)
                        cached.value = cached.value or self._by_hand()
                        if cached.value is None:
                            self._unreachable_since = self.clock()
                            raise ProviderUnavailable("the identity provider's discovery document cannot be read"
                                                      ) from exc
                        self._retry_soon(cached)
        found: ProviderMetadata = cached.value
        return found

    async def keys(self, refresh: bool = False) -> list[dict[str, Any]]:
        """The provider's signing keys; `refresh` asks again now unless it was asked very recently."""
        cached = self._keys
        if self._due(cached, refresh):
            jwks_uri = (await self.metadata()).jwks_uri
            async with self._keys_lock:
                if self._due(cached, refresh):
                    try:
                        document = await self._get_json(jwks_uri)
                        cached.value = [k for k in document.get("keys", [])
                                        if isinstance(k, dict) and k.get("use") in (None, "sig")]
                        cached.fetched_at = self.clock()
                        log.info("identity_provider_keys_fetched", keys=len(cached.value))
                    except (httpx.HTTPError, ValueError) as exc:
                        log.warning("identity_provider_keys_failed", error=type(exc).__name__)
                        if cached.value is None:
                            raise ProviderUnavailable("the identity provider's keys cannot be read") from exc
                        self._retry_soon(cached)
        found: list[dict[str, Any]] = cached.value
        return found


def _usable(key: dict[str, Any], algorithm: str) -> jwt.PyJWK:
    """The key for this algorithm: the key's declared `alg` must be the token's (RFC 7517 §4.4)."""
    declared = key.get("alg")
    if declared is not None and declared != algorithm:
        raise jwt.InvalidAlgorithmError("the token's algorithm is not its key's")
    try:
        return jwt.PyJWK(key, algorithm=algorithm)
    except jwt.PyJWTError as exc:
        raise jwt.InvalidAlgorithmError("the token's algorithm does not fit its key") from exc


class OidcVerifier:
    """Verifies the provider's ID tokens: signature by the provider's key, issuer, audience, expiry, algorithm."""

    def __init__(self, provider: OidcProvider, audience: str) -> None:
        self.provider, self.audience = provider, audience

    @property
    def issuer(self) -> str:
        return self.provider.issuer

    async def _key(self, kid: str | None, algorithm: str) -> jwt.PyJWK:
        keys = await self.provider.keys()
        if kid is None:
            # OpenID Connect Core §10.1: `kid` may be left out only when the set holds one key.
            if len(keys) != 1:
                raise jwt.InvalidTokenError("the token names no key and the provider has several")
            return _usable(keys[0], algorithm)
        found = [k for k in keys if k.get("kid") == kid]
        if not found:
            found = [k for k in await self.provider.keys(refresh=True) if k.get("kid") == kid]
        if not found:
            raise jwt.InvalidTokenError("the token names a key the provider does not publish")
        return _usable(found[0], algorithm)

    async def verify(self, token: str) -> dict[str, Any]:
        header = jwt.get_unverified_header(token)
        algorithm = header.get("alg")
        if algorithm not in TOKEN_ALGORITHMS:
            raise jwt.InvalidAlgorithmError("the token's algorithm is not allowed")
        if algorithm not in (await self.provider.metadata()).algorithms:
            raise jwt.InvalidAlgorithmError("the provider does not sign with the token's algorithm")
        kid = header.get("kid")
        key = await self._key(kid if isinstance(kid, str) and kid else None, algorithm)
        claims: dict[str, Any] = jwt.decode(token, key.key, algorithms=[algorithm], audience=self.audience,
                                            issuer=self.provider.issuer, leeway=LEEWAY_SECONDS,
                                            options={"require": ["exp", "iat", "sub", "iss", "aud"]})
        return claims
