"""Live tracking: a ministry moves a request and its citizen — only its citizen — sees it at once."""

import asyncio
import contextlib
import json
import socket
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
import uvicorn
from asgi_lifespan import LifespanManager

from services.gateway.adapters.live_hub import LiveHub
from services.gateway.app import live_queue
from services.gateway.handlers import relay_status_changed
from services.gateway.handlers.live import live_updates
from shared.auth import Identity
from shared.bus import Consumer, Delivery, Envelope, Rejected, connect_bus
from shared.bus.topology import EVENTS, STATUS_CHANGED, also_routed
from shared.contracts.requests import RequestStatusChanged
from tests.unit.gateway.conftest import Portal, start_portal

ROUTING_KEY = STATUS_CHANGED


def status_changed(tracking_number: str, citizen: str, status: str = "in_review") -> Envelope:
    event = RequestStatusChanged(tracking_number=tracking_number, service="renew-driving-licence", ministry="rop",
                                 citizen=citizen, status=status, previous_status="received", note="Checked",
                                 actor="ministry:rop", changed_at=datetime.now(UTC))
    return Envelope(type=RequestStatusChanged.TYPE, source="/requests", data=event.model_dump(mode="json"),
                    subject=tracking_number)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def served(portal_app: object) -> AsyncIterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(portal_app, host="127.0.0.1", port=port, log_level="warning"))  # type: ignore[arg-type]
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn tells only through this flag
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def published(url: str, envelope: Envelope) -> None:
    """As the requests service's outbox relay publishes a status change."""
    await connect_bus(url).publish(envelope, EVENTS, ROUTING_KEY, also_to=also_routed(ROUTING_KEY, envelope.subject))


def test_each_gateway_replica_listens_on_its_own_exclusive_queue_bound_to_nothing_until_someone_watches() -> None:
    first, second = live_queue(), live_queue()
    assert first.exclusive and first.name != second.name
    assert first.bindings == ()
    assert first.arguments()["x-overflow"] == "drop-head"  # a slow replica never blocks the requests service


async def test_a_status_change_on_the_bus_reaches_only_the_owning_citizens_open_page(
        keypair: tuple[str, str]) -> None:
    url = f"memory://gateway-{uuid.uuid4().hex[:8]}"
    app, _ = await start_portal(keypair, amqp_url=url)
    hub = app.state.deps.live
    async with (LifespanManager(app), hub.watch("ROP-2026-000001-X", "12345678") as mine,
                hub.watch("ROP-2026-000001-X", "99999999") as other):
        await published(url, status_changed("ROP-2026-000001-X", "12345678"))
        update = await asyncio.wait_for(mine.get(), timeout=5)
        await asyncio.sleep(0.1)
        assert other.empty()
    assert (update["status"], update["note"]) == ("in_review", "Checked")
    assert "12345678" not in json.dumps(update)  # the page learns the status, never the civil number
    assert hub.watching("ROP-2026-000001-X") == 0


async def test_a_status_change_nobody_on_this_replica_watches_is_not_even_read(portal: Portal) -> None:
    deps = portal.app.state.deps
    number = "ROP-2026-000001-X"
    unreadable = Delivery(Envelope(type=RequestStatusChanged.TYPE, source="/requests",
                                   data={"tracking_number": number, "status": "no such status"}, subject=number),
                          ROUTING_KEY, "gateway.live.test")
    await relay_status_changed(unreadable, deps)  # not validated, so not refused either
    async with deps.live.watch(number, "12345678") as page:
        with pytest.raises(Rejected):
            await relay_status_changed(unreadable, deps)
        await relay_status_changed(Delivery(status_changed(number, "12345678"), ROUTING_KEY, "gateway.live.test"),
                                   deps)
        assert page.get_nowait()["status"] == "in_review"


async def test_the_events_stream_sends_the_current_status_then_each_change(keypair: tuple[str, str]) -> None:
    url = f"memory://gateway-{uuid.uuid4().hex[:8]}"
    app, fakes = await start_portal(keypair, amqp_url=url)
    async with served(app) as base, httpx.AsyncClient(base_url=base, timeout=10) as client:
        portal = Portal(app, client, fakes)
        aisha = await portal.sign_in("12345678")
        number = (await client.post("/api/v1/requests", headers=aisha,
                                    json={"service": "renew-driving-licence", "fields": {}})).json()["tracking_number"]
        async with client.stream("GET", f"/api/v1/requests/{number}/events", headers=aisha) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.aiter_lines()
            first = await anext_data(lines)
            assert (first["status"], first["initial"]) == ("submitted", True)
            await published(url, status_changed(number, "12345678", "approved"))
            second = await asyncio.wait_for(anext_data(lines), timeout=5)
    assert (second["tracking_number"], second["status"]) == (number, "approved")


async def anext_data(lines: AsyncIterator[str]) -> dict[str, object]:
    async for line in lines:
        if line.startswith("data:"):
            found: dict[str, object] = json.loads(line.removeprefix("data:").strip())
            return found
    raise AssertionError("the stream ended")


@pytest.mark.parametrize("who", ["stranger", "anonymous"])
async def test_nobody_but_the_owner_can_open_a_requests_event_stream(portal: Portal, who: str) -> None:
    aisha = await portal.sign_in("12345678")
    submitted = await portal.client.post("/api/v1/requests", headers=aisha,
                                         json={"service": "renew-driving-licence", "fields": {}})
    number = submitted.json()["tracking_number"]
    headers = await portal.sign_in("87654321") if who == "stranger" else {}
    response = await portal.client.get(f"/api/v1/requests/{number}/events", headers=headers)
    assert response.status_code == (404 if who == "stranger" else 401)
    assert response.headers["content-type"] == "application/problem+json"
    assert portal.app.state.deps.live.watching(number) == 0


async def test_a_mistyped_tracking_number_is_refused_before_any_look_up(portal: Portal) -> None:
    aisha = await portal.sign_in()
    response = await portal.client.get("/api/v1/requests/ROP-2026-000001-0/events", headers=aisha)
    assert (response.status_code, response.json()["code"]) == (422, "tracking-number-mistyped")
    assert not [c for c in portal.fakes.calls if c[0] == "requests"]


async def test_a_change_made_while_the_stream_reads_the_current_status_is_still_sent(portal: Portal) -> None:
    aisha = await portal.sign_in("12345678")
    submitted = await portal.client.post("/api/v1/requests", headers=aisha,
                                         json={"service": "renew-driving-licence", "fields": {}})
    number = submitted.json()["tracking_number"]
    hub, fakes = portal.app.state.deps.live, portal.fakes
    answer = fakes._requests
    shown = fakes.requests[number]["updated_at"]

    def read_then_changed(request: httpx.Request) -> httpx.Response:
        response = answer(request)
        if request.url.path == f"/api/v1/requests/{number}":
            # The ministry's change lands just after the read, its hint before the stream goes on.
            # The hint of the change the read already shows comes too: it is not sent again.
            hub.publish(number, "12345678", {"tracking_number": number, "status": "submitted", "at": shown})
            hub.publish(number, "12345678", {"tracking_number": number, "status": "received",
                                             "at": "2026-11-23T10:00:05+00:00"})
        return response

    fakes._requests = read_then_changed  # type: ignore[method-assign]
    aisha_herself = Identity(subject="12345678", role="citizen", name="Aisha")
    stream = live_updates(number, aisha_herself, portal.app.state.deps, heartbeat=0.2)
    first, second = await anext(stream), await anext(stream)
    await stream.aclose()

    assert (first["status"], first["initial"]) == ("submitted", True)  # type: ignore[index]
    assert second is not None and second["status"] == "received"
    assert hub.watching(number) == 0


class RecordingConsumer(Consumer):
    """The live queue's consumer: what was bound and unbound, in order; an unbind may be held up, a bind refused."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.refuse_binds = 0
        self.unbinding = asyncio.Event()
        self.unbinding.set()

    async def cancel(self) -> None:
        pass

    async def bind(self, exchange: str, routing_key: str) -> None:
        if self.refuse_binds:
            self.refuse_binds -= 1
            raise ConnectionError("the broker is away")
        self.calls.append(f"bind {exchange} {routing_key}")

    async def unbind(self, exchange: str, routing_key: str) -> None:
        await self.unbinding.wait()
        self.calls.append(f"unbind {exchange} {routing_key}")


def create_hub() -> tuple[LiveHub, RecordingConsumer]:
    hub, consumer = LiveHub(), RecordingConsumer()
    hub.listen_through(consumer)
    return hub, consumer


async def test_a_replica_hears_a_requests_changes_from_its_first_watcher_until_its_last_one_leaves() -> None:
    hub, consumer = create_hub()
    key = f"{EVENTS} {ROUTING_KEY}.ROP-2026-000001-X"
    async with hub.watch("ROP-2026-000001-X", "12345678"):
        async with hub.watch("ROP-2026-000001-X", "12345678"):
            assert consumer.calls == [f"bind {key}"]
        assert consumer.calls == [f"bind {key}"]  # one tab closed, the other still open
        assert hub.watching("ROP-2026-000001-X") == 1
    assert consumer.calls == [f"bind {key}", f"unbind {key}"]
    assert hub.watching("ROP-2026-000001-X") == 0


async def test_a_page_opened_while_the_last_one_is_being_unbound_is_bound_again_after_it() -> None:
    hub, consumer = create_hub()
    key = f"{EVENTS} {ROUTING_KEY}.ROP-2026-000001-X"
    consumer.unbinding.clear()
    first = hub.watch("ROP-2026-000001-X", "12345678")
    await first.__aenter__()
    leaving = asyncio.create_task(first.__aexit__(None, None, None))
    await asyncio.sleep(0.01)
    opening = asyncio.create_task(hub.watch("ROP-2026-000001-X", "12345678").__aenter__())
    await asyncio.sleep(0.01)
    consumer.unbinding.set()
    page = await opening
    await leaving
    assert consumer.calls == [f"bind {key}", f"unbind {key}", f"bind {key}"]
    assert hub.publish("ROP-2026-000001-X", "12345678", {"status": "approved"}) == 1
    assert page.get_nowait() == {"status": "approved"}


async def test_a_binding_the_broker_refuses_leaves_the_page_open_and_the_next_watcher_binds() -> None:
    hub, consumer = create_hub()
    consumer.refuse_binds = 1
    async with hub.watch("ROP-2026-000001-X", "12345678"):
        assert consumer.calls == []
    async with hub.watch("ROP-2026-000001-X", "12345678"):
        assert consumer.calls == [f"bind {EVENTS} {ROUTING_KEY}.ROP-2026-000001-X"]
