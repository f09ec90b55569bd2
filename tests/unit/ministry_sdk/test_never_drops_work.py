"""The SDK never drops a ministry's work: no give-up while the broker is away, and each request handled once."""

import asyncio
from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY

from ministry_sdk import IncomingRequest, MinistryClient
from ministry_sdk.publisher import Backoff
from shared.bus import Envelope, PublishFailed
from shared.bus.memory import InMemoryBus
from shared.bus.topology import TO_MINISTRIES, from_ministry, ministry_inbox
from tests.unit.ministry_sdk.test_client import FlakyBroker, create_submitted

real_sleep = asyncio.sleep


@pytest.fixture
def fast_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Backoff waits pass at once, so a long broker outage takes milliseconds."""

    async def no_wait(_: float, result: object = None) -> object:
        return await real_sleep(0, result)

    monkeypatch.setattr(asyncio, "sleep", no_wait)
    yield


async def eventually(check: object, within: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not check():  # type: ignore[operator]
        assert loop.time() < deadline, "not reached"
        await real_sleep(0.01)


async def client_on(bus: InMemoryBus) -> MinistryClient:
    await bus.declare([ministry_inbox("rop"), from_ministry("rop")])
    client = MinistryClient("memory://unused", "rop", bus=bus)
    await client.start()
    return client


@pytest.mark.usefixtures("fast_clock")
async def test_a_status_published_through_a_broker_outage_of_any_length_arrives_once() -> None:
    bus = FlakyBroker(failures=40)  # about ten minutes of backoff at the ceiling
    client = await client_on(bus)
    event_id = await client.update_status("ROP-2026-000001-Q", "approved")
    [delivered] = await bus.drain("requests.from.rop")
    assert Envelope.from_body(delivered.body).id == event_id
    await client.close()


async def test_while_the_broker_refuses_the_ministry_sees_it_in_health_and_metrics() -> None:
    bus = FlakyBroker(failures=1_000_000)
    client = await client_on(bus)
    publishing = asyncio.create_task(client.update_status("ROP-2026-000001-Q", "approved"))
    await eventually(lambda: bus.failures < 1_000_000 - 2)
    health = await client.health()
    assert (health.publishing, health.pending) == (False, 1)
    assert health.failing_since is not None
    assert REGISTRY.get_sample_value("ministry_sdk_publishing", {"ministry": "rop"}) == 0
    assert (REGISTRY.get_sample_value("ministry_sdk_publish_failures_total", {"ministry": "rop"}) or 0) >= 2
    bus.failures = 0
    await asyncio.wait_for(publishing, timeout=15)
    assert (await client.health()).publishing
    await client.close()


async def test_a_request_delivered_twice_with_one_event_id_is_handled_once() -> None:
    bus = InMemoryBus()
    client = await client_on(bus)
    handled: list[str] = []

    async def handle(incoming: IncomingRequest) -> None:
        handled.append(incoming.request.tracking_number)
        await client.update_status(incoming.request.tracking_number, "received")

    await client.serve(handle)
    submitted = create_submitted("ROP-2026-000001-Q")
    await bus.publish(submitted, TO_MINISTRIES, "rop.request.submitted")
    await bus.publish(submitted, TO_MINISTRIES, "rop.request.submitted")
    await bus.publish(create_submitted("ROP-2026-000003-A"), TO_MINISTRIES, "rop.request.submitted")
    await eventually(lambda: len(handled) >= 2 and bus.queues["ministry.rop.inbox"].messages.empty())
    await real_sleep(0.05)
    assert handled == ["ROP-2026-000001-Q", "ROP-2026-000003-A"]
    statuses = [Envelope.from_body(d.body).data["tracking_number"] for d in await bus.drain("requests.from.rop")]
    assert statuses == ["ROP-2026-000001-Q", "ROP-2026-000003-A"]
    await client.close()


class ReconnectingBroker(InMemoryBus):
    """Its connection is lost (a node died): every publish fails until it is back, as aio-pika's robust connection
    reconnects through the load balancer."""

    def __init__(self) -> None:
        super().__init__()
        self.connected = False

    async def is_ready(self) -> bool:
        return self.connected and await super().is_ready()

    async def publish(self, envelope: Envelope, exchange: str, routing_key: str, *,
                      user_id: str | None = None, also_to: tuple[str, ...] = ()) -> None:
        if not self.connected:
            raise PublishFailed("ChannelInvalidStateError")
        await super().publish(envelope, exchange, routing_key, user_id=user_id, also_to=also_to)


async def test_a_status_goes_out_as_soon_as_the_connection_is_back_not_after_the_grown_backoff() -> None:
    bus = ReconnectingBroker()
    await bus.declare([ministry_inbox("rop"), from_ministry("rop")])
    # The backoff a few failed attempts reach while a node loss's reconnect takes its seconds.
    client = MinistryClient("memory://unused", "rop", bus=bus, backoff=Backoff(first=6.4, longest=6.4))
    await client.start()
    publishing = asyncio.create_task(client.update_status("ROP-2026-000001-Q", "approved"))
    await real_sleep(0.3)
    bus.connected = True
    await asyncio.wait_for(publishing, timeout=2.0)
    assert len(await bus.drain("requests.from.rop")) == 1
    await client.close()


class SlowConfirms(InMemoryBus):
    """The broker confirms each publish only once the test lets it: how many wait for a confirm at once shows."""

    def __init__(self) -> None:
        super().__init__()
        self.in_flight: list[str] = []
        self.confirm = asyncio.Event()

    async def publish(self, envelope: Envelope, exchange: str, routing_key: str, *,
                      user_id: str | None = None, also_to: tuple[str, ...] = ()) -> None:
        self.in_flight.append(f"{envelope.subject} {envelope.data['status']}")
        await self.confirm.wait()
        await super().publish(envelope, exchange, routing_key, user_id=user_id, also_to=also_to)


async def test_different_requests_statuses_wait_for_their_confirms_together_and_each_requests_keep_their_order(
        ) -> None:
    bus = SlowConfirms()
    client = await client_on(bus)
    # With the memory store, each call returns once the broker confirmed it.
    publishing = [asyncio.create_task(client.update_status(tracking_number, status))  # type: ignore[arg-type]
                  for tracking_number in ("ROP-2026-000001-Q", "ROP-2026-000003-A")
                  for status in ("received", "in_review")]
    await eventually(lambda: len(bus.in_flight) >= 2)
    await real_sleep(0.05)
    assert bus.in_flight == ["ROP-2026-000001-Q received", "ROP-2026-000003-A received"]
    bus.confirm.set()
    await asyncio.wait_for(asyncio.gather(*publishing), timeout=5)
    published = [Envelope.from_body(d.body).data for d in await bus.drain("requests.from.rop")]
    for tracking_number in ("ROP-2026-000001-Q", "ROP-2026-000003-A"):
        assert [p["status"] for p in published if p["tracking_number"] == tracking_number] == ["received",
                                                                                             "in_review"]
    assert (await client.health()).pending == 0
    await client.close()
