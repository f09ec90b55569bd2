"""The gateway counts each citizen's own address behind the ingress, and believes only the proxies it is told to."""

import httpx
import pytest
from fastapi import FastAPI

from portal.cli import server_config
from shared.auth import IdentityVerifier
from tests.unit.gateway.conftest import UPSTREAMS, FakeServices

INGRESS, CITIZEN_A, CITIZEN_B = "10.42.0.7", "203.0.113.9", "198.51.100.20"


async def statuses(trusted: str, keypair: tuple[str, str], monkeypatch: pytest.MonkeyPatch,
                   calls: list[tuple[str, str]]) -> list[int]:
    """Requests arriving from `proxy` carrying X-Forwarded-For, through the app as `portal serve` loads it."""
    monkeypatch.setenv("GATEWAY_IDENTITY_PRIVATE_KEY", keypair[0])
    monkeypatch.setenv("GATEWAY_FORWARDED_ALLOW_IPS", trusted)
    monkeypatch.setenv("GATEWAY_RATE_PER_ADDRESS", "0.001")
    monkeypatch.setenv("GATEWAY_BURST_PER_ADDRESS", "1")
    config = server_config("gateway", "127.0.0.1", 0)
    config.load()
    outer = config.loaded_app
    inner: FastAPI = outer
    while not isinstance(inner, FastAPI):
        inner = inner.app  # type: ignore[attr-defined]
    fakes = FakeServices(IdentityVerifier(keypair[1]))
    inner.state.deps.upstreams = {name: fakes.client(name) for name in UPSTREAMS}
    answers = []
    for proxy, forwarded in calls:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=outer, client=(proxy, 40000)),
                                     base_url="http://test") as client:
            response = await client.get("/api/v1/services", headers={"X-Forwarded-For": forwarded})
            answers.append(response.status_code)
    return answers


async def test_behind_a_trusted_ingress_each_citizen_has_their_own_address_bucket(
        keypair: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    answers = await statuses(INGRESS, keypair, monkeypatch,
                             [(INGRESS, CITIZEN_A), (INGRESS, CITIZEN_B), (INGRESS, CITIZEN_A)])
    assert answers == [200, 200, 429]


async def test_a_forwarded_address_from_an_untrusted_peer_is_ignored(
        keypair: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    answers = await statuses(INGRESS, keypair, monkeypatch, [("192.0.2.66", CITIZEN_A), ("192.0.2.66", CITIZEN_B)])
    assert answers == [200, 429]


def test_only_the_gateway_believes_forwarded_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_FORWARDED_ALLOW_IPS", "10.0.0.0/8")
    assert server_config("gateway", "127.0.0.1", 8000).forwarded_allow_ips == "10.0.0.0/8"
    assert server_config("requests", "127.0.0.1", 8003).proxy_headers is False
