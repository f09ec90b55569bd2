"""Only genuine sign-ins get through, nobody floods the portal, and a failing service is left alone to recover."""

import base64
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi.routing import APIRoute
from prometheus_client import generate_latest

from services.gateway.api import forward
from services.gateway.app import create_app
from services.gateway.config import Settings
from tests.unit.gateway.conftest import Portal, start_portal
from tests.unit.gateway.identity_provider import AUDIENCE, ISSUER, STRANGER, PublishedKeys, create_verifier, idp_token


def unsigned_token(**claims: Any) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT', 'kid': 'k1'})}.{part(claims)}."


@pytest.fixture
async def oidc_portal(keypair: tuple[str, str]) -> AsyncIterator[Portal]:
    app, fakes = await start_portal(keypair)
    app.state.deps.oidc = create_verifier(PublishedKeys())
    async with (LifespanManager(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client):
        yield Portal(app, client, fakes)


async def my_requests(portal: Portal, token: str) -> httpx.Response:
    return await portal.client.get("/api/v1/requests", headers={"Authorization": f"Bearer {token}"})


async def test_a_token_from_the_identity_provider_signs_the_citizen_in(oidc_portal: Portal) -> None:
    assert (await my_requests(oidc_portal, idp_token())).status_code == 200


@pytest.mark.parametrize("token", [
    pytest.param(unsigned_token(iss=ISSUER, aud=AUDIENCE, sub="87654321", exp=4_102_444_800), id="alg-none"),
    pytest.param(unsigned_token(iss="portal-dev-idp", aud="portal", sub="87654321", exp=4_102_444_800),
                 id="alg-none-posing-as-dev-sign-in"),
    pytest.param(idp_token(aud="someone-else"), id="wrong-audience"),
    pytest.param(idp_token(iss="https://evil.example"), id="wrong-issuer"),
    pytest.param(idp_token(key=STRANGER, kid="k9"), id="unknown-key"),
    pytest.param(idp_token(key=STRANGER, kid="k1"), id="known-key-id-signed-by-another-key"),
    pytest.param(idp_token(exp=int(time.time()) - 3600, iat=int(time.time()) - 7200), id="expired"),
    pytest.param(idp_token(key="a-shared-secret-of-32-bytes-long!", algorithm="HS256"), id="hmac"),
])
async def test_tokens_that_are_not_genuine_and_current_are_refused(oidc_portal: Portal, token: str) -> None:
    response = await my_requests(oidc_portal, token)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert [c for c in oidc_portal.fakes.calls if c[0] == "requests"] == []


async def test_a_citizen_over_their_rate_limit_is_told_when_to_come_back(keypair: tuple[str, str]) -> None:
    app, _ = await start_portal(keypair, rate_per_citizen=0.01, burst_per_citizen=2)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        portal = Portal(app, client, _)
        aisha, salim = await portal.sign_in("12345678"), await portal.sign_in("87654321")
        answers = [(await client.get("/api/v1/requests", headers=aisha)).status_code for _ in range(3)]
        refused = await client.get("/api/v1/requests", headers=aisha)
        assert answers == [200, 200, 429]
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "rate-limited"
        assert int(refused.headers["Retry-After"]) >= 1
        assert (await client.get("/api/v1/requests", headers=salim)).status_code == 200


async def test_a_ministry_api_key_over_its_rate_limit_gets_429(keypair: tuple[str, str]) -> None:
    app, fakes = await start_portal(keypair, rate_per_api_key=0.01, burst_per_api_key=1)
    app.state.deps.api_keys.put("pk_good", "rop")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        key = {"Authorization": "Bearer pk_good"}
        first = await client.get("/api/v1/ministry/requests", headers=key)
        second = await client.get("/api/v1/ministry/requests", headers=key)
    assert first.status_code != 429 and ("requests", "GET", "/api/v1/ministry/requests") in fakes.calls
    assert second.status_code == 429 and "Retry-After" in second.headers


async def test_one_address_flooding_the_portal_is_slowed_on_pages_and_api_alike(keypair: tuple[str, str]) -> None:
    app, _ = await start_portal(keypair, rate_per_address=0.01, burst_per_address=2)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        assert (await client.get("/api/v1/services")).status_code == 200
        assert (await client.get("/")).status_code == 200
        api, page = await client.get("/api/v1/services"), await client.get("/")
    assert (api.status_code, page.status_code) == (429, 429)
    assert api.json()["code"] == "rate-limited" and "Retry-After" in api.headers
    assert '<html lang="ar" dir="rtl">' in page.text and "Retry-After" in page.headers


async def test_an_upstream_that_keeps_failing_is_cut_off_then_probed_back(keypair: tuple[str, str]) -> None:
    app, fakes = await start_portal(keypair, breaker_threshold=3, breaker_open_seconds=30)
    now = [1000.0]
    app.state.deps.clock = lambda: now[0]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        fakes.failing.add("search")
        for _ in range(3):
            assert (await client.get("/api/v1/search", params={"q": "x"})).status_code == 503
        calls = len(fakes.calls)
        refused = await client.get("/api/v1/search", params={"q": "x"})
        assert len(fakes.calls) == calls  # the breaker answered; search was left alone
        assert (refused.status_code, refused.json()["upstream"]) == (503, "search")
        assert "search" in refused.json()["detail"] and int(refused.headers["Retry-After"]) >= 1
        assert (await client.get("/api/v1/services")).status_code == 200  # the rest of the portal works
        now[0] += 31
        assert (await client.get("/api/v1/search", params={"q": "x"})).status_code == 503  # the probe fails
        assert (await client.get("/api/v1/search", params={"q": "x"})).json()["code"] == "upstream-unavailable"
        calls = len(fakes.calls)
        await client.get("/api/v1/search", params={"q": "x"})
        assert len(fakes.calls) == calls  # open again after the failed probe
        fakes.failing.clear()
        now[0] += 31
        assert (await client.get("/api/v1/search", params={"q": "x"})).status_code == 200  # probe succeeds
        assert (await client.get("/api/v1/search", params={"q": "x"})).status_code == 200  # closed again


async def test_an_upstream_turning_submissions_away_for_a_moment_is_not_cut_off(keypair: tuple[str, str]) -> None:
    """Its 503 with Retry-After reaches the citizen's app as it is, and its reads and the app's retries still go
    through: cut off, a retry could not get the answer to a submission made before its first answer was lost."""
    app, fakes = await start_portal(keypair, breaker_threshold=3, breaker_open_seconds=30)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        citizen = (await client.post("/api/v1/auth/dev-token", json={"national_id": "12345678", "name": "Aisha"}))
        headers = {"Authorization": f"Bearer {citizen.json()['access_token']}"}
        fakes.busy.add("requests")
        for _ in range(4):
            busy = await client.post("/api/v1/requests", headers=headers, json={"service": "x", "fields": {}})
            assert (busy.status_code, busy.json()["code"], busy.headers["Retry-After"]) == (503, "busy", "2")
        assert (await client.get("/api/v1/requests", headers=headers)).status_code == 200
        fakes.busy.clear()
        calls = len(fakes.calls)
        await client.post("/api/v1/requests", headers=headers, json={"service": "x", "fields": {}})
        assert len(fakes.calls) == calls + 1


async def test_reads_are_retried_but_a_submission_is_sent_only_once(portal: Portal) -> None:
    citizen = await portal.sign_in()
    portal.fakes.down.add("requests")
    read = await portal.client.get("/api/v1/requests", headers=citizen)
    reads = sum(1 for c in portal.fakes.calls if c[0] == "requests")
    write = await portal.client.post("/api/v1/requests", headers=citizen, json={"service": "x", "fields": {}})
    writes = sum(1 for c in portal.fakes.calls if c[0] == "requests") - reads
    assert (read.status_code, write.status_code) == (503, 503)
    assert (reads, writes) == (3, 1)


async def test_a_script_is_throttled_on_sign_in_search_and_submission_where_a_person_never_is(
        keypair: tuple[str, str]) -> None:
    """300 of each in a few seconds, as the outside tester sent: a person's handful goes through, the rest waits."""
    app, fakes = await start_portal(keypair)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        portal = Portal(app, client, fakes)
        aisha = await portal.sign_in("12345678")
        signed_in = [(await client.post("/api/v1/auth/dev-token", json={
            "national_id": "12345678", "name": "Aisha", "lang": "ar"})).status_code for _ in range(300)]
        searched = [(await client.get("/api/v1/search", params={"q": "passport"}, headers=aisha)).status_code
                    for _ in range(300)]
        submitted = [(await client.post("/api/v1/requests", headers=aisha, json={
            "service": "renew-driving-licence", "fields": {"licence": "L-1"}})).status_code for _ in range(300)]
    metrics = generate_latest().decode()
    person_sign_in, person_search, person_submit = 5, 20, 5
    for answers, person in ((signed_in, person_sign_in), (searched, person_search), (submitted, person_submit)):
        assert 429 not in answers[:person]
        assert answers.count(429) >= 200
    assert 'portal_gateway_throttled_total{limit="submit"}' in metrics


@pytest.mark.parametrize(("method", "path", "bucket"), [
    ("POST", "/api/v1/requests", "submit"), ("GET", "/api/v1/search", "search"),
    ("POST", "/api/v1/auth/dev-token", "sign_in"), ("POST", "/sign-in", "sign_in"), ("GET", "/search", "search"),
    ("POST", "/services/renew-passport/apply", "submit"), ("POST", "/workspace/sign-in", "sign_in"),
    ("POST", "/open311/v2/requests.json", "submit")])
async def test_each_route_a_script_hammers_takes_from_its_own_bucket_whichever_router_serves_it(
        keypair: tuple[str, str], method: str, path: str, bucket: str) -> None:
    """The forwarded calls take their route's limit themselves, every other route as a dependency."""
    app, _ = await start_portal(keypair, **{f"rate_{bucket}": 0.001, f"burst_{bucket}": 1})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        answers = [(await client.request(method, path)).status_code for _ in range(3)]
    assert answers[0] != 429 and answers[1:] == [429, 429]


def test_a_forwarded_call_has_no_dependency_for_fastapi_to_solve(keypair: tuple[str, str]) -> None:
    """Solving the route limit as a dependency cost the gateway more per forwarded call than the limit's own check."""
    app = create_app(Settings(identity_private_key=keypair[0]))
    forwarded = [route for route in app.routes if isinstance(route, APIRoute) and route.endpoint is forward]

    assert {route.path for route in forwarded} == {"/api/v1/{rest:path}", "/open-data/{rest:path}"}
    assert all(not route.dependant.dependencies for route in forwarded)
