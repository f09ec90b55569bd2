"""What every gateway handler is given: upstream clients, their breakers, rate limits, live tracking."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from services.gateway.adapters.dev_identity import DevIdentityProvider
from services.gateway.adapters.http1 import UpstreamClient
from services.gateway.adapters.live_hub import LiveHub
from services.gateway.adapters.oidc import OidcVerifier
from services.gateway.adapters.oidc_flow import AuthorizationCodeFlow
from services.gateway.domain import ClaimRules, LimitKind, RateLimiter, Upstream
from services.gateway.store import ApiKeyCache, LocalSignedOutSessions, SignedOutSessions
from shared.auth import Identity, IdentitySigner
from shared.breaker import CircuitBreaker
from shared.caching import KeptFor

# A verified token's identity is reused for this long at most (and never past the token's expiry): a provider's
# key withdrawn meanwhile stops its tokens here within this time.
VERIFIED_TOKEN_SECONDS = 60.0


@dataclass
class Limits:
    """Token buckets per caller kind; in memory, so each replica counts on its own."""

    address: RateLimiter
    citizen: RateLimiter
    api_key: RateLimiter
    routes: dict[LimitKind, RateLimiter] = field(default_factory=dict)


@dataclass
class Deps:
    signer: IdentitySigner
    upstreams: dict[Upstream, UpstreamClient]
    api_keys: ApiKeyCache
    dev_idp: DevIdentityProvider | None
    oidc: OidcVerifier | None
    max_body_bytes: int
    limits: Limits
    live: LiveHub
    bus_contract: dict[str, Any] = field(default_factory=dict)
    breakers: dict[str, CircuitBreaker] = field(default_factory=dict)
    breaker_threshold: int = 5
    breaker_open_seconds: float = 10.0
    clock: Callable[[], float] = time.monotonic
    sign_in_flow: AuthorizationCodeFlow | None = None
    staff_oidc: OidcVerifier | None = None
    staff_sign_in_flow: AuthorizationCodeFlow | None = None
    claims: ClaimRules = field(default_factory=ClaimRules)
    signed_out: SignedOutSessions = field(default_factory=LocalSignedOutSessions)
    # Token hash -> (its identity, its expiry as a wall-clock time): a signature checked once per token, not per
    # request.
    verified: KeptFor[str, tuple[Identity, float]] = field(
        default_factory=lambda: KeptFor(VERIFIED_TOKEN_SECONDS, most=10_000))
    wall_clock: Callable[[], float] = time.time

    def breaker(self, upstream: str) -> CircuitBreaker:
        found = self.breakers.get(upstream)
        if found is None:
            found = self.breakers[upstream] = CircuitBreaker(
                upstream, failure_threshold=self.breaker_threshold, reset_seconds=self.breaker_open_seconds,
                clock=lambda: self.clock())
        return found
