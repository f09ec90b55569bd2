"""The web UI's sign-in with the national identity provider: OpenID Connect authorisation code + PKCE.

The browser carries the transaction (state, nonce, PKCE verifier, where to go next) in a short-lived,
HMAC-signed, HttpOnly cookie, so that any gateway replica can finish what another started.
"""

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from services.gateway.adapters.oidc import OidcVerifier, ProviderMetadata, ProviderUnavailable
from shared.logging import get_logger
from shared.web import Problem

log = get_logger(__name__)
TRANSACTION_SECONDS = 600


@dataclass(frozen=True)
class OidcClient:
    client_id: str
    client_secret: str | None
    redirect_url: str
    post_logout_redirect_url: str


@dataclass(frozen=True)
class SignedIn:
    id_token: str
    next: str
    max_age: int


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class AuthorizationCodeFlow:
    def __init__(self, client: OidcClient, verifier: OidcVerifier, secret: bytes, http: httpx.AsyncClient) -> None:
        self._client, self._verifier, self._secret, self._http = client, verifier, secret, http

    def _seal(self, transaction: dict[str, Any]) -> str:
        payload = _b64(json.dumps(transaction, separators=(",", ":")).encode())
        mac = hmac.new(self._secret, payload.encode(), hashlib.sha256).hexdigest()
        return f"{payload}.{mac}"

    def _open(self, sealed: str | None) -> dict[str, Any]:
        payload, _, mac = (sealed or "").partition(".")
        expected = hmac.new(self._secret, payload.encode(), hashlib.sha256).hexdigest()
        if not payload or not hmac.compare_digest(mac, expected):
            raise Problem(400, "sign-in-expired", "This sign-in was not started here, or has expired.")
        transaction: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        if transaction.get("exp", 0) < time.time():
            raise Problem(400, "sign-in-expired", "This sign-in was not started here, or has expired.")
        return transaction

    async def _metadata(self) -> ProviderMetadata:
        try:
            return await self._verifier.provider.metadata()
        except ProviderUnavailable as exc:
            raise Problem(503, "upstream-unavailable", "The identity provider is not answering.",
                          upstream="identity-provider") from exc

    async def start(self, next_path: str, lang: str) -> tuple[str, str]:
        """Where to send the browser, and the sealed transaction to keep in its cookie."""
        authorize_url = (await self._metadata()).authorization_endpoint
        if not authorize_url:
            raise Problem(503, "upstream-unavailable", "The identity provider names no authorisation endpoint.",
                          upstream="identity-provider")
        state, nonce, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48)
        challenge = _b64(hashlib.sha256(verifier.encode()).digest())
        query = urlencode({"response_type": "code", "client_id": self._client.client_id,
                           "redirect_uri": self._client.redirect_url, "scope": "openid profile", "state": state,
                           "nonce": nonce, "code_challenge": challenge, "code_challenge_method": "S256",
                           "ui_locales": lang})
        sealed = self._seal({"state": state, "nonce": nonce, "verifier": verifier, "next": next_path,
                             "exp": int(time.time()) + TRANSACTION_SECONDS})
        return f"{authorize_url}?{query}", sealed

    async def finish(self, code: str, state: str, sealed: str | None, issuer: str | None = None) -> SignedIn:
        """`issuer` is the authorisation response's `iss` (RFC 9207): a response from a provider other than
        ours (a mix-up attack) is refused before its code goes anywhere."""
        transaction = self._open(sealed)
        if not state or not hmac.compare_digest(state, str(transaction["state"])):
            raise Problem(400, "sign-in-expired", "This sign-in was not started here, or has expired.")
        metadata = await self._metadata()
        expected_iss = issuer is not None or metadata.iss_in_authorization_response
        if expected_iss and issuer != metadata.issuer:
            log.warning("identity_provider_issuer_mismatch")
            raise Problem(401, "unauthenticated", "The sign-in answer did not come from the identity provider.")
        if not metadata.token_endpoint:
            raise Problem(503, "upstream-unavailable", "The identity provider names no token endpoint.",
                          upstream="identity-provider")
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": self._client.redirect_url,
                "client_id": self._client.client_id, "code_verifier": transaction["verifier"]}
        if self._client.client_secret:
            form["client_secret"] = self._client.client_secret
        try:
            response = await self._http.post(metadata.token_endpoint, data=form, headers={"Accept": "application/json"})
        except httpx.TransportError as exc:
            log.warning("identity_provider_unreachable", error=type(exc).__name__)
            raise Problem(503, "upstream-unavailable", "The identity provider is not answering.",
                          upstream="identity-provider") from exc
        if response.status_code != 200:
            log.warning("identity_provider_refused_code", status=response.status_code)
            raise Problem(401, "unauthenticated", "The identity provider did not confirm this sign-in.")
        id_token = str(response.json().get("id_token") or "")
        try:
            claims = await self._verifier.verify(id_token)
        except ProviderUnavailable as exc:
            raise Problem(503, "upstream-unavailable", "The identity provider is not answering.",
                          upstream="identity-provider") from exc
        except jwt.PyJWTError as exc:
            raise Problem(401, "unauthenticated", "The identity provider's answer could not be verified.") from exc
        if not hmac.compare_digest(str(claims.get("nonce") or ""), str(transaction["nonce"])):
            raise Problem(401, "unauthenticated", "The identity provider's answer was not for this sign-in.")
        return SignedIn(id_token, str(transaction["next"]), max(60, int(claims["exp"]) - int(time.time())))

    async def end_session_url(self, id_token: str) -> str | None:
        """Where to send the browser so that the provider ends its session too (RP-initiated logout 1.0);
        None when the provider offers no such endpoint or cannot be asked right now."""
        try:
            endpoint = (await self._verifier.provider.metadata()).end_session_endpoint
        except ProviderUnavailable:
            return None
        if not endpoint:
            return None
        query = urlencode({"id_token_hint": id_token, "client_id": self._client.client_id,
                           "post_logout_redirect_uri": self._client.post_logout_redirect_url})
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"
