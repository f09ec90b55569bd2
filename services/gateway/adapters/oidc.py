"""The national identity provider's tokens, verified against its published keys."""

import asyncio
from typing import Any

import jwt

# Asymmetric algorithms only: `none` and HMAC (where a public key could be misused as a secret) never pass.
TOKEN_ALGORITHMS = ["RS256", "PS256", "ES256", "EdDSA"]
LEEWAY_SECONDS = 30


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
