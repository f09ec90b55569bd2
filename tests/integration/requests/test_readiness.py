"""The requests service stays in service while the broker is away: the outbox keeps what it publishes."""

from tests.integration.requests.helpers import Harness


async def test_with_the_broker_gone_the_service_stays_ready_and_reports_the_bus_as_detail(harness: Harness) -> None:
    await harness.bus.close()
    harness.app.state.runtime.bus.writes.failed()

    response = await harness.client.get("/readyz")

    assert response.status_code == 200
    body = response.json()
    assert body["checks"] == {"database": "ok", "bus": "unavailable"}
    assert body["required"] == ["database"]
    assert body["detail"]["bus_writes"]["status"] == "failing"
    assert body["detail"]["bus_writes"]["failing_for_seconds"] is not None
