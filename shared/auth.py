"""The identity the gateway vouches for, as a short-lived Ed25519 token every service verifies itself."""

import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Literal

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import Request

from shared.caching import KeptFor
from shared.web.problems import Problem

IDENTITY_HEADER = "x-portal-identity"
ISSUER = "portal-gateway"
AUDIENCE = "portal-services"
ALGORITHM = "EdDSA"
TOKEN_SECONDS = 60
CLOCK_SKEW_SECONDS = 5

Role = Literal["citizen", "officer", "service_manager", "admin", "ministry", "system"]
STAFF_ROLES: frozenset[str] = frozenset({"officer", "service_manager", "admin"})


@dataclass(frozen=True)
class Identity:
    subject: str
    role: Role
    ministry: str | None = None
    name: str | None = None
    lang: str = "ar"

    @property
    def is_citizen(self) -> bool:
        return self.role == "citizen"

    def acts_for(self, ministry: str) -> bool:
        return self.role == "admin" or (self.ministry == ministry and self.role in {"ministry", "officer",
                                                                                   "service_manager"})

    def claims(self) -> dict[str, Any]:
        return {"sub": self.subject, "role": self.role, "ministry": self.ministry, "name": self.name,
                "lang": self.lang}


def generate_keypair() -> tuple[str, str]:
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


# A signed identity is handed out again for half its life (so it always has at least half left when it arrives),
# and a verified one is believed again until it expires: an Ed25519 signature and its check cost more than the
# rest of forwarding a request, and the same citizen sends many requests in a minute.
REUSE_SECONDS = TOKEN_SECONDS / 2
KEPT_IDENTITIES = 10_000


class IdentitySigner:
    def __init__(self, private_key_pem: str, clock: Callable[[], float] = time.time) -> None:
        self._key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
        self._clock = clock
        self._signed: KeptFor[Identity, str] = KeptFor(REUSE_SECONDS, most=KEPT_IDENTITIES, clock=clock)

    def sign(self, identity: Identity) -> str:
        token = self._signed.get(identity)
        if token is None:
            now = int(self._clock())
            claims = identity.claims() | {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + TOKEN_SECONDS}
            token = jwt.encode(claims, self._key, algorithm=ALGORITHM)  # type: ignore[arg-type]
            self._signed.put(identity, token)
        return token


class IdentityVerifier:
    def __init__(self, public_key_pem: str, clock: Callable[[], float] = time.time) -> None:
        self._key = serialization.load_pem_public_key(public_key_pem.encode())
        self._clock = clock
        # By the exact token: the same bytes verified once are the same answer until the token expires.
        self._verified: KeptFor[str, tuple[Identity, float]] = KeptFor(TOKEN_SECONDS + CLOCK_SKEW_SECONDS,
                                                                       most=KEPT_IDENTITIES, clock=clock)

    def verify(self, token: str) -> Identity:
        kept = self._verified.get(token)
        if kept is not None and self._clock() <= kept[1] + CLOCK_SKEW_SECONDS:
            return kept[0]
        try:
            # Expiry is checked against this verifier's clock, the one its kept answers are checked against.
            claims = jwt.decode(token, self._key, algorithms=[ALGORITHM], audience=AUDIENCE,  # type: ignore[arg-type]
                                issuer=ISSUER, leeway=CLOCK_SKEW_SECONDS,
                                options={"require": ["exp", "iat", "sub", "iss", "aud"], "verify_exp": False})
            if not isinstance(claims["exp"], int | float) or claims["exp"] + CLOCK_SKEW_SECONDS < self._clock():
                raise jwt.ExpiredSignatureError("Signature has expired")
        except jwt.PyJWTError as exc:
            raise Problem(401, "unauthenticated", "The identity could not be verified.") from exc
        if claims.get("role") not in {"citizen", "officer", "service_manager", "admin", "ministry", "system"}:
            raise Problem(401, "unauthenticated", "The identity carries an unknown role.")
        identity = Identity(subject=claims["sub"], role=claims["role"], ministry=claims.get("ministry"),
                            name=claims.get("name"), lang=claims.get("lang") or "ar")
        self._verified.put(token, (identity, float(claims["exp"])))
        return identity


IdentityDependency = Callable[[Request], Coroutine[Any, Any, Identity]]


def require_identity(*roles: str) -> IdentityDependency:
    """A FastAPI dependency: the identity the gateway vouched for, limited to the given roles if any."""

    async def dependency(request: Request) -> Identity:
        token = request.headers.get(IDENTITY_HEADER)
        if not token:
            raise Problem(401, "unauthenticated", "Sign in to continue.")
        verifier: IdentityVerifier = request.app.state.identity_verifier
        identity = verifier.verify(token)
        if roles and identity.role not in roles:
            raise Problem(403, "forbidden", "This action is not open to your role.")
        return identity

    return dependency
