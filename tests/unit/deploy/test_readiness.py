"""The manifests' readiness probes mean "this pod can serve": the path the gateway's readinessProbe names answers
200 with every service behind it down, so one backend's outage never takes the gateway (and with it the whole
portal, static pages included) out of the Ingress."""

from __future__ import annotations

import httpx
from asgi_lifespan import LifespanManager

from services.gateway.app import create_app
from services.gateway.config import Settings
from shared.auth import generate_keypair
from tests.unit.deploy.manifests import Obj, containers, named

NOBODY = "http://127.0.0.1:9"  # the discard port: connection refused at once


async def test_the_gateways_readiness_probe_passes_with_every_backend_down(production: list[Obj]) -> None:
    (container,) = containers(named(production, "Deployment", "gateway"))
    probe = container["readinessProbe"]["httpGet"]
    assert probe["port"] == "http"
    private_key, _ = generate_keypair()
    app = create_app(Settings(identity_private_key=private_key, catalog_url=NOBODY, search_url=NOBODY,
                              requests_url=NOBODY, notifications_url=NOBODY))
    async with LifespanManager(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                                       base_url="http://gateway") as client:
        ready = await client.get(probe["path"])
        assert ready.status_code == 200, ready.text
        assert set(ready.json()["checks"].values()) == {"unavailable"}
        assert (await client.get("/api/v1/services")).status_code == 503


def test_every_service_is_taken_out_of_rotation_only_by_its_own_readiness(production: list[Obj]) -> None:
    for name in ("gateway", "catalog", "search", "requests", "notifications"):
        (container,) = containers(named(production, "Deployment", name))
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}, name
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz", name
