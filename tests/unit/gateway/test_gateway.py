"""The gateway's promises, with upstream services replaced by in-process fakes."""

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import jwt
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from services.gateway.adapters.http1 import UpstreamClient
from services.gateway.app import create_app
from services.gateway.config import Settings
from services.gateway.domain import route_for
from shared.auth import IDENTITY_HEADER, IdentityVerifier
from tests.unit.gateway.upstreams import mocked


@dataclass
class FakeUpstreams:
    seen: list[httpx.Request] = field(default_factory=list)
    down: set[str] = field(default_factory=set)
    key_checks: int = 0

    def client(self, name: str) -> UpstreamClient:
        async def handle(request: httpx.Request) -> httpx.Response:
            if name in self.down:
                raise httpx.ConnectError("connection refused", request=request)
            if request.url.path == "/internal/v1/api-keys/verify":
                self.key_checks += 1
                key = json.loads(request.content)["api_key"]
                return httpx.Response(200, json={"ministry": "rop"}) if key == "pk_good" else \
                    httpx.Response(404, json={"code": "unknown-api-key"})
            self.seen.append(request)
            return httpx.Response(200, json={"served_by": name})

        return mocked(handle, f"http://{name}")


@dataclass
class Gateway:
    app: FastAPI
    client: httpx.AsyncClient
    upstreams: FakeUpstreams
    verifier: IdentityVerifier

    async def citizen_token(self, national_id: str = "12345678") -> str:
        response = await self.client.post("/api/v1/auth/dev-token",
                                          json={"national_id": national_id, "name": "Aisha", "lang": "ar"})
        return str(response.json()["access_token"])

    def identity_seen(self) -> str | None:
        return self.upstreams.seen[-1].headers.get(IDENTITY_HEADER)


@pytest.fixture
async def gateway(keypair: tuple[str, str]) -> AsyncIterator[Gateway]:
    app = create_app(Settings(identity_private_key=keypair[0], dev_auth=True))
    fakes = FakeUpstreams()
    app.state.deps.upstreams = {name: fakes.client(name) for name in ("catalog", "search", "requests",
                                                                       "notifications")}
    async with (
        LifespanManager(app, startup_timeout=30, shutdown_timeout=30),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        yield Gateway(app, client, fakes, IdentityVerifier(keypair[1]))


def test_internal_paths_are_never_reachable_through_the_gateway() -> None:
    assert route_for("/internal/v1/api-keys/verify") is None
    assert route_for("/api/v1/servicesX") is None
    assert route_for("/api/v1/ministry/services/x").upstream == "catalog"  # type: ignore[union-attr]


async def test_a_signed_in_citizen_reaches_the_service_as_a_verified_identity(gateway: Gateway) -> None:
    token = await gateway.citizen_token("12345678")
    response = await gateway.client.get("/api/v1/requests", headers={"Authorization": f"Bearer {token}"})
    assert response.json() == {"served_by": "requests"}
    identity = gateway.verifier.verify(gateway.identity_seen() or "")
    assert (identity.subject, identity.role) == ("12345678", "citizen")
    assert "authorization" not in gateway.upstreams.seen[-1].headers


async def test_an_identity_header_forged_by_a_client_never_reaches_a_service(gateway: Gateway) -> None:
    forged = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ2aWN0aW0iLCJyb2xlIjoiYWRtaW4ifQ."
    await gateway.client.get("/api/v1/services", headers={IDENTITY_HEADER: forged})
    assert gateway.identity_seen() is None


async def test_signed_in_paths_refuse_anonymous_callers_before_any_upstream_is_called(gateway: Gateway) -> None:
    response = await gateway.client.get("/api/v1/requests")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert gateway.upstreams.seen == []


async def test_a_tampered_token_is_refused(gateway: Gateway) -> None:
    token = await gateway.citizen_token()
    response = await gateway.client.get("/api/v1/requests", headers={"Authorization": f"Bearer {token[:-4]}AAAA"})
    assert response.status_code == 401


async def test_a_ministry_api_key_is_checked_once_then_cached(gateway: Gateway) -> None:
    for _ in range(3):
        response = await gateway.client.post("/api/v1/ministry/services", json={},
                                             headers={"Authorization": "Bearer pk_good"})
        assert response.status_code == 200
    assert gateway.upstreams.key_checks == 1
    identity = gateway.verifier.verify(gateway.identity_seen() or "")
    assert (identity.role, identity.ministry) == ("ministry", "rop")
    refused = await gateway.client.post("/api/v1/ministry/services", json={},
                                        headers={"Authorization": "Bearer pk_bad"})
    assert refused.status_code == 401


async def test_when_one_service_is_down_the_rest_of_the_portal_still_answers(gateway: Gateway) -> None:
    gateway.upstreams.down.add("search")
    down = await gateway.client.get("/api/v1/search", params={"q": "رخصة"})
    assert down.status_code == 503
    assert down.json()["upstream"] == "search"
    assert (await gateway.client.get("/api/v1/services")).status_code == 200


async def test_staff_sign_in_must_name_a_ministry(gateway: Gateway) -> None:
    response = await gateway.client.post("/api/v1/auth/dev-token",
                                         json={"national_id": "12345678", "name": "Officer", "role": "officer"})
    assert response.status_code == 422


async def test_development_sign_in_does_not_exist_unless_switched_on(keypair: tuple[str, str]) -> None:
    app = create_app(Settings(identity_private_key=keypair[0], dev_auth=False))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        response = await client.post("/api/v1/auth/dev-token", json={"national_id": "12345678", "name": "x"})
    assert response.status_code == 404


async def test_the_home_page_is_arabic_and_right_to_left_by_default(gateway: Gateway) -> None:
    page = await gateway.client.get("/")
    assert '<html lang="ar" dir="rtl">' in page.text
    english = await gateway.client.get("/", params={"lang": "en"})
    assert '<html lang="en" dir="ltr">' in english.text


@pytest.mark.parametrize("path", [
    "/api/v1/services/..%2F..%2F..%2Fmetrics",
    "/api/v1/services/%2E%2E/%2E%2E/%2E%2E/internal/v1/api-keys/verify",
    "/api/v1/services/a%5C..%5Cmetrics",
])
async def test_no_path_climbs_out_of_its_route_to_reach_an_upstreams_internals(gateway: Gateway, path: str) -> None:
    # A literal "../" is normalised away by clients; these encoded forms are what an attacker sends.
    response = await gateway.client.get(path)
    assert response.status_code == 404
    assert gateway.upstreams.seen == []


def test_a_dot_segment_that_reaches_the_gateway_matches_no_route() -> None:
    assert route_for("/api/v1/services/../../internal/v1/api-keys/verify") is None


@pytest.mark.parametrize("body", [b'{"service": "x\\u0000"}', b'{"title": {"ar": "\\ud800", "en": "x"}}',
                                  b'{"a": "\x00"}'])
async def test_text_nothing_behind_the_gateway_could_store_is_refused_at_the_door(gateway: Gateway,
                                                                                   body: bytes) -> None:
    response = await gateway.client.post("/api/v1/ministry/services", content=body,
                                         headers={"Authorization": "Bearer pk_good",
                                                  "content-type": "application/json"})
    assert (response.status_code, response.json()["code"]) == (422, "invalid-text")
    assert gateway.upstreams.seen == []


async def test_a_nul_in_the_query_is_refused(gateway: Gateway) -> None:
    response = await gateway.client.get("/api/v1/services", params={"ministry": "\x00"})
    assert response.status_code == 422


async def test_a_citizen_token_without_a_civil_number_is_refused(gateway: Gateway) -> None:
    claims = {"iss": "portal-dev-idp", "aud": "portal", "sub": "f3c1e2a4-9b7d-4c1e-8f00-123456789abc",
              "exp": 4_102_444_800, "role": "citizen"}
    token = jwt.encode(claims, gateway.app.state.deps.dev_idp._private, algorithm="EdDSA")
    response = await gateway.client.get("/api/v1/requests", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


@pytest.mark.parametrize("path", ["/api/v1/services/%01", "/api/v1/requests/%17", "/api/v1/admin/dead-letters/%08x",
                                  "/api/v1/services/a%7Fb", "/api/v1/services/%C2%85", "/open-data/%0Akpis.csv",
                                  "/api/v1/requests/%0D%0A/events", "/services/%1B"])
async def test_a_control_character_anywhere_in_the_path_is_refused_before_any_route(gateway: Gateway,
                                                                                  path: str) -> None:
    response = await gateway.client.get(path, headers={"Authorization": f"Bearer {await gateway.citizen_token()}"})
    assert (response.status_code, response.json()["code"]) == (404, "not-found")
    assert gateway.upstreams.seen == []


async def test_answers_that_carry_personal_data_are_never_stored_by_a_browser_or_proxy(gateway: Gateway) -> None:
    token_answer = await gateway.client.post("/api/v1/auth/dev-token",
                                             json={"national_id": "12345678", "name": "Aisha", "lang": "ar"})
    token = token_answer.json()["access_token"]
    mine = await gateway.client.get("/api/v1/requests", headers={"Authorization": f"Bearer {token}"})
    dashboard = await gateway.client.get("/api/v1/me/notifications", headers={"Authorization": f"Bearer {token}"})
    for response in (token_answer, mine, dashboard):
        assert response.headers["cache-control"] == "no-store"


async def test_pages_allow_no_base_element_from_elsewhere(gateway: Gateway) -> None:
    page = await gateway.client.get("/")
    assert "base-uri 'self'" in page.headers["content-security-policy"]


async def test_the_public_door_never_shows_the_metrics(gateway: Gateway) -> None:
    await gateway.client.get("/healthz")
    response = await gateway.client.get("/metrics")
    assert response.status_code == 404
    assert "portal_http_requests_total" not in response.text


async def test_an_oversized_body_is_refused_by_its_length_before_anything_reads_it(gateway: Gateway) -> None:
    body = b'{"national_id": "12345678", "name": "' + b"a" * 30_000_000 + b'", "lang": "ar"}'
    response = await gateway.client.post("/api/v1/auth/dev-token", content=body,
                                         headers={"content-type": "application/json"})
    assert (response.status_code, response.json()["code"]) == (413, "body-too-large")


async def test_an_oversized_body_sent_without_a_length_is_refused_while_it_streams(gateway: Gateway) -> None:
    sent = []

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(100):
            sent.append(1)
            yield b"x" * 100_000

    response = await gateway.client.post("/api/v1/ministry/services", content=chunks(),
                                         headers={"Authorization": "Bearer pk_good",
                                                  "content-type": "application/json"})
    assert (response.status_code, response.json()["code"]) == (413, "body-too-large")
    assert gateway.upstreams.seen == []
    assert len(sent) < 100  # it stopped reading once past the limit
