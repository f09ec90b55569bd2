"""The web UI's sign-in with the national identity provider: authorisation code, PKCE, state and nonce."""

from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from asgi_lifespan import LifespanManager

from services.gateway.adapters.oidc import OidcProvider, OidcVerifier
from services.gateway.adapters.oidc_flow import AuthorizationCodeFlow, OidcClient
from services.gateway.app import create_app
from services.gateway.config import Settings
from tests.unit.gateway.conftest import Portal, csrf_of, start_portal
from tests.unit.gateway.identity_provider import (
    AUDIENCE,
    AUTHORIZE,
    END_SESSION,
    ISSUER,
    FakeIdentityProvider,
    PublishedKeys,
)

CALLBACK = "https://portal.example.om/sign-in/callback"


@pytest.fixture
async def national(keypair: tuple[str, str]) -> AsyncIterator[tuple[Portal, FakeIdentityProvider]]:
    app, fakes = await start_portal(keypair)
    app.state.deps.dev_idp = None
    idp = FakeIdentityProvider()
    http = httpx.AsyncClient(transport=httpx.MockTransport(idp.handle))
    verifier = OidcVerifier(OidcProvider(ISSUER, http), AUDIENCE)
    app.state.deps.oidc = verifier
    app.state.deps.sign_in_flow = AuthorizationCodeFlow(
        OidcClient(AUDIENCE, "client-secret", CALLBACK, "https://portal.example.om/"), verifier, b"test-secret",
        http)
    async with (LifespanManager(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://test") as client):
        yield Portal(app, client, fakes), idp


def test_the_national_sign_in_is_on_only_when_the_provider_is_fully_configured(keypair: tuple[str, str]) -> None:
    provider = {"oidc_issuer": ISSUER, "oidc_audience": AUDIENCE}
    flow = {"oidc_client_id": AUDIENCE, "oidc_redirect_url": CALLBACK}
    assert create_app(Settings(identity_private_key=keypair[0], **provider)).state.deps.sign_in_flow is None
    assert create_app(Settings(identity_private_key=keypair[0], **provider, **flow)).state.deps.sign_in_flow


async def test_a_citizen_signs_in_at_the_identity_provider_and_comes_back_signed_in(
        national: tuple[Portal, FakeIdentityProvider]) -> None:
    portal, idp = national
    page = await portal.client.get("/sign-in?next=/notifications")
    assert 'href="/sign-in/national-id?next=/notifications"' in page.text and "field-national_id" not in page.text
    start = await portal.client.get("/sign-in/national-id", params={"next": "/notifications"})
    assert start.status_code == 303 and start.headers["location"].startswith(AUTHORIZE + "?")
    query = parse_qs(urlsplit(start.headers["location"]).query)
    assert (query["code_challenge_method"], query["redirect_uri"], query["client_id"]) == (["S256"], [CALLBACK],
                                                                                           [AUDIENCE])
    cookie = start.headers["set-cookie"].lower()
    assert "portal_oidc=" in cookie and "httponly" in cookie and "secure" in cookie and "samesite=lax" in cookie
    state = idp.authorised(start.headers["location"])

    back = await portal.client.get("/sign-in/callback", params={"code": "good-code", "state": state})
    assert (back.status_code, back.headers["location"]) == (303, "/notifications")
    assert idp.token_requests[0]["client_secret"] == ["client-secret"]
    session = back.headers.get_list("set-cookie")
    assert any(c.startswith("portal_session=") and "HttpOnly" in c and "Secure" in c for c in session)
    board = await portal.client.get("/dashboard")
    assert board.status_code == 200 and "Salim" in board.text


@pytest.mark.parametrize("trouble", ["wrong-state", "no-transaction-cookie", "wrong-nonce", "refused-code",
                                     "provider-error", "no-civil-number"])
async def test_a_sign_in_that_was_not_started_here_or_not_confirmed_signs_nobody_in(
        national: tuple[Portal, FakeIdentityProvider], trouble: str) -> None:
    portal, idp = national
    start = await portal.client.get("/sign-in/national-id")
    state = idp.authorised(start.headers["location"])
    params = {"code": "good-code", "state": state}
    if trouble == "wrong-state":
        params["state"] = "forged"
    elif trouble == "no-transaction-cookie":
        portal.client.cookies.delete("portal_oidc")
    elif trouble == "wrong-nonce":
        idp.nonce_override = "replayed"
    elif trouble == "refused-code":
        params["code"] = "stolen-code"
    elif trouble == "no-civil-number":
        idp.claims = {"sub": "a1b2c3-opaque", "name": "Salim"}
    else:
        params = {"error": "access_denied", "state": state}
    back = await portal.client.get("/sign-in/callback", params=params)
    assert back.status_code in (400, 401)
    assert back.headers["content-type"].startswith("text/html") and "Signing in did not complete" in \
        (await portal.client.get("/sign-in/callback", params=params | {"lang": "en"})).text
    assert "portal_session" not in portal.client.cookies
    assert (await portal.client.get("/dashboard")).status_code == 303  # still asked to sign in


async def signed_in_through_the_provider(portal: Portal, idp: FakeIdentityProvider) -> str:
    start = await portal.client.get("/sign-in/national-id")
    state = idp.authorised(start.headers["location"])
    back = await portal.client.get("/sign-in/callback", params={"code": "good-code", "state": state, "iss": ISSUER})
    assert back.status_code == 303
    return portal.client.cookies["portal_session"]


@pytest.mark.parametrize(("advertised", "iss", "signed_in"), [
    (False, "https://evil.example", False), (True, "https://evil.example", False), (True, None, False),
    (True, ISSUER, True), (False, None, True)])
async def test_an_authorisation_answer_naming_another_issuer_signs_nobody_in(
        national: tuple[Portal, FakeIdentityProvider], advertised: bool, iss: str | None, signed_in: bool) -> None:
    portal, idp = national
    idp.published.iss_parameter_supported = advertised
    start = await portal.client.get("/sign-in/national-id")
    state = idp.authorised(start.headers["location"])
    params = {"code": "good-code", "state": state} | ({"iss": iss} if iss else {})
    back = await portal.client.get("/sign-in/callback", params=params)
    assert (back.status_code == 303) is signed_in
    assert ("portal_session" in portal.client.cookies) is signed_in
    if not signed_in:
        assert back.status_code == 401 and idp.token_requests == []  # the code never left the portal


async def test_signing_out_ends_the_portal_session_and_sends_the_browser_to_the_providers_sign_out(
        national: tuple[Portal, FakeIdentityProvider]) -> None:
    portal, idp = national
    session = await signed_in_through_the_provider(portal, idp)
    page = await portal.client.get("/dashboard")
    out = await portal.client.post("/sign-out", data={"csrf_token": csrf_of(page.text)})
    assert out.status_code == 303 and out.headers["location"].startswith(END_SESSION + "?")
    query = parse_qs(urlsplit(out.headers["location"]).query)
    assert query["id_token_hint"] == [session]
    assert query["post_logout_redirect_uri"] == ["https://portal.example.om/"]
    assert query["client_id"] == [AUDIENCE]
    # Whether or not the browser ever reaches the provider, the portal's session is over.
    portal.client.cookies.set("portal_session", session)
    assert (await portal.client.get("/dashboard")).status_code == 303


async def test_signing_out_while_the_provider_is_unreachable_still_ends_the_portal_session(
        national: tuple[Portal, FakeIdentityProvider]) -> None:
    portal, idp = national
    session = await signed_in_through_the_provider(portal, idp)
    page = await portal.client.get("/dashboard")
    down = PublishedKeys(discovery_down=True)
    verifier = OidcVerifier(OidcProvider(ISSUER, httpx.AsyncClient(transport=httpx.MockTransport(down.handle))),
                            AUDIENCE)
    deps = portal.app.state.deps
    deps.oidc = verifier
    deps.sign_in_flow = AuthorizationCodeFlow(OidcClient(AUDIENCE, None, CALLBACK, "https://portal.example.om/"),
                                              verifier, b"test-secret", httpx.AsyncClient())
    out = await portal.client.post("/sign-out", data={"csrf_token": csrf_of(page.text)})
    assert (out.status_code, out.headers["location"]) == (303, "/")
    assert await deps.signed_out.is_revoked(session)


async def test_sign_in_while_the_provider_cannot_be_discovered_is_a_page_naming_it(
        national: tuple[Portal, FakeIdentityProvider]) -> None:
    portal, idp = national
    idp.published.discovery_down = True
    page = await portal.client.get("/sign-in/national-id", params={"lang": "en"})
    assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")


async def test_pages_let_the_sign_out_form_lead_to_the_provider_and_nowhere_else(
        national: tuple[Portal, FakeIdentityProvider]) -> None:
    portal, idp = national
    await signed_in_through_the_provider(portal, idp)
    policy = (await portal.client.get("/dashboard")).headers["content-security-policy"]
    assert "form-action 'self' https://idp.example.om;" in policy + ";"
