"""The simulated ministry of `make run`: it answers every request and issues what the service produces."""

import asyncio
import contextlib
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from portal.simulator import SimulatedMinistry, document_number
from portal.up import run_simulators, simulators_listening
from shared.bus import Envelope, connect_bus
from shared.bus.memory import InMemoryBus
from shared.bus.topology import TO_MINISTRIES, from_ministry, ministry_inbox
from shared.contracts.requests import Applicant, RequestSubmitted
from tests.unit.ministry_sdk.test_client import started, until


def create_submitted(service: str, tracking_number: str = "ROP-2026-000042-8") -> Envelope:
    event = RequestSubmitted(tracking_number=tracking_number, service=service, service_version=1, ministry="rop",
                             applicant=Applicant(national_id="12345678"), fields={},
                             submitted_at=datetime.now(UTC), due_on=datetime.now(UTC))
    return Envelope(type=RequestSubmitted.TYPE, source="/requests", data=event.model_dump(mode="json"))


async def journey(service: str) -> list[Envelope]:
    bus = InMemoryBus()
    client = await started(bus)
    await SimulatedMinistry(client, delay_seconds=0.001).start()
    await bus.publish(create_submitted(service), TO_MINISTRIES, "rop.request.submitted")
    queue = bus.queues["requests.from.rop"].messages
    await until(lambda: queue.qsize() >= (5 if service == "renew-driving-licence" else 4))
    await client.close()
    return [Envelope.from_body(d.body) for d in await bus.drain("requests.from.rop")]


async def test_a_renewed_licence_is_issued_valid_ten_years_before_the_request_is_completed() -> None:
    events = await journey("renew-driving-licence")
    kinds = [e.data.get("status") or e.data["document_type"] for e in events]
    assert kinds == ["received", "in_review", "approved", "driving_licence", "completed"]
    document = events[3].data
    assert (document["national_id"], document["number"], document["tracking_number"]) == \
        ("12345678", "ROP26000042", "ROP-2026-000042-8")
    issued = date.fromisoformat(document["issued_on"])
    assert date.fromisoformat(document["expires_on"]) == issued + timedelta(days=3650)


async def test_a_service_that_produces_no_document_only_moves_the_request() -> None:
    events = await journey("pay-traffic-fines")
    assert [e.data["status"] for e in events] == ["received", "in_review", "approved", "completed"]


def test_a_document_number_comes_from_the_request_it_answers() -> None:
    assert document_number("MOH-2027-001234-X") == "MOH27001234"


async def test_the_portal_is_said_ready_only_once_every_simulated_ministry_listens(tmp_path: Path) -> None:
    url = f"memory://simulators-{uuid.uuid4().hex}"
    bus = connect_bus(url)
    await bus.declare([from_ministry("rop")])
    running = asyncio.create_task(run_simulators(url, [{"code": "rop", "user": "", "password": ""}], 0.001, tmp_path))
    try:
        await asyncio.sleep(0.3)
        assert not simulators_listening(tmp_path).exists()  # its inbox is not declared yet: it cannot answer
        await bus.declare([ministry_inbox("rop")])
        await until(simulators_listening(tmp_path).exists)
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
