"""Staff sign in to the workspace through the staff identity provider, with the role its mapping gives them."""

from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from services.gateway.adapters.oidc import OidcProvider, OidcVerifier
from services.gateway.adapters.oidc_flow import AuthorizationCodeFlow, OidcClient
from services.gateway.domain import ClaimRules
from tests.unit.gateway.conftest import csrf_of
from tests.unit.gateway.identity_provider import AUDIENCE, END_SESSION, ISSUER, FakeIdentityProvider
from tests.unit.gateway.workspace.conftest import Workspace

CALLBACK = "https://portal.example.om/workspace/sign-in/callback"


@pytest.fixture
async def staff_provider(workspace: Workspace) -> AsyncIterator[FakeIdentityProvider]:
    idp = FakeIdentityProvider(claims={"sub": "staff-7", "name": "Salma", "portal_role": "mosd-case-officer",
                                       "portal_ministry": "mosd"})
    http = httpx.AsyncClient(transport=httpx.MockTransport(idp.handle))
    verifier = OidcVerifier(OidcProvider(ISSUER, http), AUDIENCE)
    deps = workspace.app.state.deps
    deps.dev_idp, deps.staff_oidc = None, verifier
    deps.claims = ClaimRules(staff_roles={"mosd-case-officer": "officer"})
    deps.staff_sign_in_flow = AuthorizationCodeFlow(
        OidcClient(AUDIENCE, None, CALLBACK, "https://portal.example.om/workspace/sign-in"), verifier, b"secret", http)
    yield idp
    await http.aclose()


async def sign_in_at_the_provider(workspace: Workspace, idp: FakeIdentityProvider) -> httpx.Response:
    page = await workspace.client.get("/workspace/sign-in")
    assert 'href="/workspace/sign-in/idp?next=' in page.text
    start = await workspace.client.get("/workspace/sign-in/idp", params={"next": "/workspace/"})
    assert start.status_code == 303
    state = idp.authorised(start.headers["location"])
    return await workspace.client.get("/workspace/sign-in/callback", params={"code": "good-code", "state": state})


async def test_an_officer_signs_in_through_the_staff_provider_and_sees_their_ministrys_queue(
        workspace: Workspace, staff_provider: FakeIdentityProvider) -> None:
    back = await sign_in_at_the_provider(workspace, staff_provider)
    assert (back.status_code, back.headers["location"]) == (303, "/workspace/")
    assert (await workspace.client.get("/workspace/")).status_code == 200


async def test_a_role_the_mapping_does_not_name_opens_nothing(
        workspace: Workspace, staff_provider: FakeIdentityProvider) -> None:
    staff_provider.claims |= {"portal_role": "admin"}
    back = await sign_in_at_the_provider(workspace, staff_provider)
    assert back.status_code == 403 and "portal_staff" not in workspace.client.cookies
    queue = await workspace.client.get("/workspace/")
    assert queue.status_code == 303 and queue.headers["location"].startswith("/workspace/sign-in")


async def test_signing_out_of_the_workspace_ends_the_session_and_the_providers(
        workspace: Workspace, staff_provider: FakeIdentityProvider) -> None:
    await sign_in_at_the_provider(workspace, staff_provider)
    token = workspace.client.cookies["portal_staff"]
    queue = await workspace.client.get("/workspace/")
    out = await workspace.client.post("/workspace/sign-out", data={"csrf_token": csrf_of(queue.text)})
    assert out.status_code == 303 and out.headers["location"].startswith(END_SESSION + "?")
    query = parse_qs(urlsplit(out.headers["location"]).query)
    assert query["id_token_hint"] == [token]
    assert query["post_logout_redirect_uri"] == ["https://portal.example.om/workspace/sign-in"]
    workspace.client.cookies.set("portal_staff", token, path="/workspace")
    assert (await workspace.client.get("/workspace/")).status_code == 303
