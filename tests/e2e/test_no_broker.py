"""With no broker reachable, the portal still runs: every service in one process on the in-memory bus."""

import time

import httpx
import pytest

from tests.e2e.conftest import BASE_PORT, start_portal

pytestmark = pytest.mark.e2e


def test_without_a_broker_the_whole_journey_still_works_in_one_process(tmp_path: object) -> None:
    with start_portal(tmp_path, BASE_PORT + 100, "--no-broker") as portal, \
            httpx.Client(base_url=portal.url, timeout=10) as client:  # type: ignore[arg-type]
        assert "in-memory bus" in portal.output.read_text()
        token = client.post("/api/v1/auth/dev-token", json={"national_id": "55556666", "name": "Maryam"}).json()
        citizen = {"Authorization": f"Bearer {token['access_token']}"}
        submitted = client.post("/api/v1/requests", headers=citizen, json={
            "service": "issue-birth-certificate",
            "fields": {"child_name": "سارة", "date_of_birth": "2026-11-20", "hospital": "royal"}})
        assert submitted.status_code == 201, submitted.text
        deadline = time.monotonic() + 20
        while (status := client.get(f"/api/v1/requests/{submitted.json()['tracking_number']}",
                                    headers=citizen).json()["status"]) != "completed":
            assert time.monotonic() < deadline, status
            time.sleep(0.2)
