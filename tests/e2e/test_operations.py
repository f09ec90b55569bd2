"""What operations rely on, through the real portal: Prometheus reads the gateway's metrics on a port of its own,
and the public door never shows them."""

import httpx
import pytest

from portal.up import GATEWAY_METRICS_PORT_OFFSET
from tests.e2e.conftest import BASE_PORT, RunningPortal

pytestmark = pytest.mark.e2e


def test_metrics_are_not_served_through_the_public_door_but_on_the_gateways_metrics_port(
        portal: RunningPortal) -> None:
    with httpx.Client(timeout=10) as client:
        assert client.get(f"{portal.url}/api/v1/services").status_code == 200
        public = client.get(f"{portal.url}/metrics")
        assert public.status_code == 404
        assert "portal_http_requests_total" not in public.text
        metrics_port = f"http://127.0.0.1:{BASE_PORT + GATEWAY_METRICS_PORT_OFFSET}"
        scraped = client.get(f"{metrics_port}/metrics")
        assert scraped.status_code == 200
        assert any(line.startswith("portal_http_requests_total{") and 'service="gateway"' in line
                   for line in scraped.text.splitlines())
        assert client.get(f"{metrics_port}/api/v1/services").status_code == 404  # metrics only, nothing else
