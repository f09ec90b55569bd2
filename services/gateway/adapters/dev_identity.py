"""The development sign-in under `make run`: a local key standing in for the national identity provider."""

import secrets
import time
from typing import Any, Literal

import jwt
from cryptography.hazmat.primitives import serialization
from pydantic import BaseModel, ConfigDict, Field

from services.gateway.domain import DEV_AUDIENCE, DEV_ISSUER
from shared.auth import generate_keypair


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
        private, public = generate_keypair()
        # Parsed once: PyJWT given PEM text parses it again on every token.
        self._private = serialization.load_pem_private_key(private.encode(), password=None)
        self._public = serialization.load_pem_public_key(public.encode())

    def issue(self, sign_in: DevSignIn, lifetime_seconds: int = 8 * 3600) -> str:
        now = int(time.time())
        claims = {"iss": DEV_ISSUER, "aud": DEV_AUDIENCE, "sub": sign_in.national_id, "name": sign_in.name,
                  "lang": sign_in.lang, "role": sign_in.role, "ministry": sign_in.ministry, "iat": now,
                  "jti": secrets.token_urlsafe(16),
                  "exp": now + lifetime_seconds}
        return jwt.encode(claims, self._private, algorithm="EdDSA")  # type: ignore[arg-type]

    def verify(self, token: str) -> dict[str, Any]:
        claims: dict[str, Any] = jwt.decode(token, self._public, algorithms=["EdDSA"],  # type: ignore[arg-type]
                                            audience=DEV_AUDIENCE,
                                            issuer=DEV_ISSUER, options={"require": ["exp", "sub", "iss", "aud"]})
        return claims
