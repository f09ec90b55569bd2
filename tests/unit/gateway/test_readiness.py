"""Readiness means "this gateway can serve its own routes": a backend that is down is detail, not an outage."""

import httpx

from shared.web import metrics_app
from tests.unit.gateway.conftest import Portal


async def test_with_the_requests_service_down_the_gateway_stays_ready_and_says_which_backend_is_down(
        portal: Portal) -> None:
    portal.fakes.down.add("requests")

    ready = await portal.client.get("/readyz")
    home = await portal.client.get("/")
    search = await portal.client.get("/api/v1/search", params={"q": "رخصة"})
    service_page = await portal.client.get("/services/renew-driving-licence")
    tracking = await portal.client.get("/api/v1/requests", headers=await portal.sign_in())

    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert ready.json()["checks"]["requests"] == "unavailable"
    assert ready.json()["checks"]["search"] == "ok"
    assert (home.status_code, search.status_code, service_page.status_code) == (200, 200, 200)
    assert tracking.status_code == 503
    assert tracking.json()["upstream"] == "requests"


async def test_a_backend_that_does_not_answer_is_counted_in_the_metrics(portal: Portal) -> None:
    portal.fakes.down.add("notifications")

    await portal.client.get("/readyz")
    # Read where Prometheus reads the gateway: its metrics port (`portal serve gateway --metrics-port`).
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=metrics_app()), base_url="http://metrics") as port:
        metrics = (await port.get("/metrics")).text

    assert 'portal_dependency_up{dependency="notifications",service="gateway"} 0.0' in metrics
    assert 'portal_dependency_up{dependency="search",service="gateway"} 1.0' in metrics
