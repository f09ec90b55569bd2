"""The broker-writes gauge as a scrape reads it, with a channel whose broker confirms when the test says so (no I/O)."""

import asyncio
from typing import Any

from prometheus_client import REGISTRY

from shared.bus import Envelope
from shared.bus.health import PublishHealth
from shared.bus.rabbit.publisher import Publisher


class Broker:
    """An underlay channel whose confirms come only when `confirm` is called (never, unless it is)."""

    def __init__(self) -> None:
        self.is_closed = False
        self.waiting: list[asyncio.Future[None]] = []

    async def get_underlay_channel(self) -> "Broker":
        return self

    async def basic_publish(self, body: bytes, **_: Any) -> None:
        confirm = asyncio.get_running_loop().create_future()
        self.waiting.append(confirm)
        await confirm

    def confirm(self) -> None:
        for confirm in self.waiting:
            if not confirm.done():
                confirm.set_result(None)


def publisher(broker: Broker, name: str) -> tuple[Publisher, PublishHealth]:
    health = PublishHealth(name)
    publisher = Publisher("amqp://unused", name, health)
    publisher._publisher = broker  # type: ignore[assignment]
    return publisher, health


def envelope() -> Envelope:
    return Envelope(type="om.portal.test.happened.v1", source="/tests", data={})


async def test_a_scrape_reads_when_the_broker_last_confirmed_a_publish_of_this_connection() -> None:
    broker = Broker()
    bus, health = publisher(broker, "gauge-scraped")
    scraped = {"connection": "gauge-scraped"}
    assert REGISTRY.get_sample_value("portal_bus_last_confirmed_publish_timestamp_seconds", scraped) == 0
    for _ in range(2):
        sending = asyncio.create_task(bus.publish(envelope(), "portal.events", "test.happened"))
        await asyncio.sleep(0)
        broker.confirm()
        await sending
        assert REGISTRY.get_sample_value("portal_bus_last_confirmed_publish_timestamp_seconds",
                                         scraped) == health.last_confirmed


def test_two_buses_of_one_name_report_the_later_of_their_confirms() -> None:
    first, second = PublishHealth("gauge-shared"), PublishHealth("gauge-shared")
    first.confirmed()
    assert REGISTRY.get_sample_value("portal_bus_last_confirmed_publish_timestamp_seconds",
                                     {"connection": "gauge-shared"}) == first.last_confirmed
    second.confirmed()
    assert REGISTRY.get_sample_value("portal_bus_last_confirmed_publish_timestamp_seconds",
                                     {"connection": "gauge-shared"}) == second.last_confirmed
