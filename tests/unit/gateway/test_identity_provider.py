"""The identity provider's tokens as the specifications allow them, and only as they allow them.

Keys without ids, rotation, algorithms bound to keys, discovery, and who a provider may say someone is.
"""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest
from asgi_lifespan import LifespanManager
from cryptography.hazmat.primitives.asymmetric import rsa

from services.gateway.adapters.oidc import OidcProvider, OidcVerifier, ProviderUnavailable
from services.gateway.handlers import authenticate
from shared.web import Problem
from tests.unit.gateway.conftest import Portal, start_portal
from tests.unit.gateway.identity_provider import (
    AUDIENCE,
    STRANGER,
    TRUSTED,
    PublishedKeys,
    create_verifier,
    idp_token,
    rsa_key,
)

ROTATED = rsa_key()


@pytest.fixture
async def provider_portal(keypair: tuple[str, str]) -> AsyncIterator[tuple[Portal, PublishedKeys]]:
    app, fakes = await start_portal(keypair)
    published = PublishedKeys()
    app.state.deps.oidc = create_verifier(published)
    async with (LifespanManager(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client):
        yield Portal(app, client, fakes), published


async def my_requests(portal: Portal, token: str) -> httpx.Response:
    return await portal.client.get("/api/v1/requests", headers={"Authorization": f"Bearer {token}"})


async def test_a_token_without_a_key_id_is_verified_against_the_providers_only_key(
        provider_portal: tuple[Portal, PublishedKeys]) -> None:
    portal, published = provider_portal
    published.keys = {None: TRUSTED}
    assert (await my_requests(portal, idp_token(kid=None))).status_code == 200
    assert (await my_requests(portal, idp_token(key=STRANGER, kid=None))).status_code == 401


async def test_a_token_without_a_key_id_is_refused_when_the_provider_has_several_keys(
        provider_portal: tuple[Portal, PublishedKeys]) -> None:
    portal, published = provider_portal
    published.keys = {"k1": TRUSTED, "k2": ROTATED}
    response = await my_requests(portal, idp_token(kid=None))
    assert (response.status_code, response.json()["code"]) == (401, "unauthenticated")


@pytest.mark.parametrize("algorithm", ["PS256", "RS512"])
async def test_a_token_whose_algorithm_is_not_its_keys_is_refused(
        provider_portal: tuple[Portal, PublishedKeys], algorithm: str) -> None:
    portal, published = provider_portal
    published.advertised = ["RS256", "PS256"]
    assert (await my_requests(portal, idp_token(algorithm=algorithm))).status_code == 401


async def test_a_token_in_an_algorithm_the_provider_does_not_advertise_is_refused(
        provider_portal: tuple[Portal, PublishedKeys]) -> None:
    portal, published = provider_portal
    published.declared_alg = None  # the key fits RS256 and PS256 alike; the provider signs with RS256 only
    assert (await my_requests(portal, idp_token(algorithm="PS256"))).status_code == 401
    assert (await my_requests(portal, idp_token(algorithm="RS256"))).status_code == 200


async def test_a_rotated_key_is_picked_up_with_one_refresh_and_an_unknown_one_is_refused(
        provider_portal: tuple[Portal, PublishedKeys]) -> None:
    portal, published = provider_portal
    now = [1000.0]
    portal.app.state.deps.oidc = create_verifier(published, clock=lambda: now[0])
    assert (await my_requests(portal, idp_token())).status_code == 200
    now[0] += 600  # the provider rotates its keys some minutes later
    published.keys = {"k2": ROTATED}
    assert (await my_requests(portal, idp_token(key=ROTATED, kid="k2"))).status_code == 200
    assert published.fetched.count("/jwks") == 2

    published.fetched.clear()
    for _ in range(3):
        assert (await my_requests(portal, idp_token(key=STRANGER, kid="k9"))).status_code == 401
    assert published.fetched.count("/jwks") == 0  # asked moments ago: forged key ids cannot make it ask again


async def test_an_unknown_key_id_makes_the_gateway_ask_the_provider_once_more_before_refusing() -> None:
    published = PublishedKeys()
    verifier = create_verifier(published, min_refresh_seconds=0)
    await verifier.verify(idp_token())
    with pytest.raises(jwt.InvalidTokenError, match="does not publish"):
        await verifier.verify(idp_token(key=STRANGER, kid="k9"))
    assert published.fetched.count("/jwks") == 2


async def test_discovery_and_keys_are_read_once_then_served_from_cache() -> None:
    published = PublishedKeys()
    verifier = create_verifier(published)
    for _ in range(5):
        await verifier.verify(idp_token())
    assert published.fetched == ["/.well-known/openid-configuration", "/jwks"]


async def test_a_provider_whose_discovery_cannot_be_read_is_a_503_naming_the_identity_provider(
        provider_portal: tuple[Portal, PublishedKeys]) -> None:
    portal, published = provider_portal
    published.discovery_down = True
    for _ in range(3):
        response = await my_requests(portal, idp_token())
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["upstream"] == "identity-provider"
    assert published.fetched.count("/.well-known/openid-configuration") == 1  # not asked again at every request


async def test_a_discovery_document_for_another_issuer_is_not_believed() -> None:
    published = PublishedKeys()
    http = httpx.AsyncClient(transport=httpx.MockTransport(published.handle))
    verifier = OidcVerifier(OidcProvider("https://idp.example.om/other-realm", http), AUDIENCE)
    with pytest.raises(ProviderUnavailable):
        await verifier.verify(idp_token(iss="https://idp.example.om/other-realm"))


async def test_the_civil_number_comes_from_the_claim_the_settings_name(keypair: tuple[str, str]) -> None:
    app, _ = await start_portal(keypair, oidc_civil_number_claim="national_id")
    app.state.deps.oidc = create_verifier(PublishedKeys())
    citizen = await authenticate(f"Bearer {idp_token(sub='f3a9c2-opaque', national_id='87654321')}", app.state.deps)
    assert citizen is not None and (citizen.subject, citizen.role) == ("87654321", "citizen")
    with pytest.raises(Problem, match="civil number"):
        await authenticate(f"Bearer {idp_token(sub='f3a9c2-opaque')}", app.state.deps)


async def test_a_citizen_providers_token_makes_a_citizen_whatever_role_it_claims(
        provider_portal: tuple[Portal, PublishedKeys]) -> None:
    portal, _ = provider_portal
    for claims in ({"role": "admin"}, {"role": "officer", "ministry": "rop"}, {"portal_role": "admin"}):
        identity = await authenticate(f"Bearer {idp_token(**claims)}", portal.app.state.deps)
        assert identity is not None and (identity.role, identity.ministry) == ("citizen", None)


STAFF_ISSUER = "https://staff-idp.example.om"


class StaffKeys(PublishedKeys):
    def discovery(self) -> dict[str, Any]:
        return super().discovery() | {"issuer": STAFF_ISSUER, "jwks_uri": f"{STAFF_ISSUER}/jwks"}


async def test_staff_roles_come_only_from_the_staff_provider_through_the_configured_mapping(
        keypair: tuple[str, str]) -> None:
    app, _ = await start_portal(keypair, oidc_staff_roles={"mosd-case-officer": "officer", "portal-ops": "admin"})
    staff_key: rsa.RSAPrivateKey = rsa_key()
    published = StaffKeys(keys={"s1": staff_key})
    http = httpx.AsyncClient(transport=httpx.MockTransport(published.handle))
    app.state.deps.staff_oidc = OidcVerifier(OidcProvider(STAFF_ISSUER, http), "portal-workspace")
    app.state.deps.oidc = create_verifier(PublishedKeys())

    def staff_token(**claims: Any) -> str:
        return idp_token(key=staff_key, kid="s1", iss=STAFF_ISSUER, aud="portal-workspace", sub="staff-7", **claims)

    officer = await authenticate(f"Bearer {staff_token(portal_role='mosd-case-officer', portal_ministry='mosd')}",
                                 app.state.deps)
    assert officer is not None and (officer.role, officer.ministry) == ("officer", "mosd")
    admin = await authenticate(f"Bearer {staff_token(portal_role='portal-ops')}", app.state.deps)
    assert admin is not None and admin.role == "admin"
    for refused in (staff_token(portal_role="admin"), staff_token(role="admin"),
                    staff_token(portal_role="mosd-case-officer")):
        with pytest.raises(Problem) as no_role:
            await authenticate(f"Bearer {refused}", app.state.deps)
        assert no_role.value.status == 401
    forged = idp_token(key=TRUSTED, kid="s1", iss=STAFF_ISSUER, aud="portal-workspace", portal_role="portal-ops")
    with pytest.raises(Problem, match="not valid"):  # the citizens' key cannot sign for the staff provider
        await authenticate(f"Bearer {forged}", app.state.deps)
