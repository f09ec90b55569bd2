"""Readiness means "the gateway can serve its own routes": with the requests service frozen, the home page, search
and service pages still answer, and /readyz stays 200 naming what is down."""

import os
import signal

import httpx
import pytest

from tests.e2e.conftest import RunningPortal
from tests.e2e.test_supervision import child_pid

pytestmark = pytest.mark.e2e


def test_with_the_requests_service_stopped_the_gateway_stays_ready_and_its_other_pages_answer(
        portal: RunningPortal) -> None:
    port = str(int(portal.url.rsplit(":", 1)[1]) + 3)
    requests_service = child_pid("serve", "requests", "--port", port)
    assert requests_service is not None
    os.kill(requests_service, signal.SIGSTOP)
    try:
        with httpx.Client(base_url=portal.url, timeout=10) as client:
            ready = client.get("/readyz")
            home = client.get("/")
            search = client.get("/api/v1/search", params={"q": "رخصة"})
            service_page = client.get("/services/renew-driving-licence")
    finally:
        os.kill(requests_service, signal.SIGCONT)

    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert ready.json()["checks"]["requests"] == "unavailable"
    assert ready.json()["checks"]["catalog"] == "ok"
    assert (home.status_code, search.status_code, service_page.status_code) == (200, 200, 200)
