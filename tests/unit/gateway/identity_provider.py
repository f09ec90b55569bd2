"""An OpenID Connect provider as the gateway meets it over HTTP: a discovery document and a key set."""

import base64
import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from services.gateway.adapters.oidc import OidcProvider, OidcVerifier

ISSUER, AUDIENCE = "https://idp.example.om", "portal-web"
AUTHORIZE, TOKEN = f"{ISSUER}/authorize", f"{ISSUER}/token"
END_SESSION = f"{ISSUER}/logout"


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


TRUSTED, STRANGER = rsa_key(), rsa_key()


@dataclass
class PublishedKeys:
    """The provider's keys by id (None: published without one), each declaring `alg` unless told otherwise."""

    keys: dict[str | None, rsa.RSAPrivateKey] = field(default_factory=lambda: {"k1": TRUSTED})
    declared_alg: str | None = "RS256"
    advertised: list[str] = field(default_factory=lambda: ["RS256"])
    discovery_down: bool = False
    iss_parameter_supported: bool = False
    fetched: list[str] = field(default_factory=list)

    def jwks(self) -> dict[str, Any]:
        published = []
        for kid, key in self.keys.items():
            jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key())) | {"use": "sig"}
            published.append(jwk | ({"kid": kid} if kid else {}) |
                             ({"alg": self.declared_alg} if self.declared_alg else {}))
        return {"keys": published}

    def discovery(self) -> dict[str, Any]:
        return {"issuer": ISSUER, "authorization_endpoint": AUTHORIZE, "token_endpoint": TOKEN,
                "jwks_uri": f"{ISSUER}/jwks", "end_session_endpoint": END_SESSION,
                "id_token_signing_alg_values_supported": self.advertised,
                "authorization_response_iss_parameter_supported": self.iss_parameter_supported}

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.fetched.append(request.url.path)
        if request.url.path == "/.well-known/openid-configuration":
            if self.discovery_down:
                raise httpx.ConnectError("connection refused", request=request)
            return httpx.Response(200, json=self.discovery())
        if request.url.path == "/jwks":
            return httpx.Response(200, json=self.jwks())
        return httpx.Response(404)


@dataclass
class FakeIdentityProvider:
    """Issues an id_token for a code only to the client that proves the PKCE verifier."""

    nonce: str = ""
    challenge: str = ""
    token_requests: list[dict[str, list[str]]] = field(default_factory=list)
    nonce_override: str | None = None
    published: PublishedKeys = field(default_factory=PublishedKeys)
    claims: dict[str, Any] = field(default_factory=lambda: {"sub": "87654321", "name": "Salim"})

    def authorised(self, location: str) -> str:
        query = parse_qs(urlsplit(location).query)
        self.nonce, self.challenge = query["nonce"][0], query["code_challenge"][0]
        return query["state"][0]

    async def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path != "/token":
            return await self.published.handle(request)
        form = parse_qs(request.content.decode())
        self.token_requests.append(form)
        proof = base64.urlsafe_b64encode(hashlib.sha256(form["code_verifier"][0].encode()).digest()).rstrip(b"=")
        if form["code"] != ["good-code"] or proof.decode() != self.challenge:
            return httpx.Response(400, json={"error": "invalid_grant"})
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 600,
                  "nonce": self.nonce_override or self.nonce} | self.claims
        return httpx.Response(200, json={"id_token": jwt.encode(claims, TRUSTED, "RS256", headers={"kid": "k1"}),
                                         "token_type": "Bearer"})


def create_verifier(published: PublishedKeys, **provider: Any) -> OidcVerifier:
    http = httpx.AsyncClient(transport=httpx.MockTransport(published.handle))
    return OidcVerifier(OidcProvider(ISSUER, http, **provider), AUDIENCE)


def idp_token(key: Any = TRUSTED, kid: str | None = "k1", algorithm: str = "RS256", **overrides: Any) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "87654321", "iat": now, "exp": now + 600,
              "name": "Salim"} | overrides
    return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": kid} if kid else None)
