"""A publishing channel the broker keeps refusing is replaced (a fresh channel, then a fresh connection) and the
same message sent again; once the broker takes it, it arrives once, under its first message id."""

import aio_pika
import pytest
from prometheus_client import REGISTRY

from shared.bus import Envelope, PublishFailed, connect_bus
from shared.bus.topology import EVENTS
from tests.integration.bus.helpers import eventually

pytestmark = pytest.mark.integration


def reopened(connection: str, what: str) -> float:
    return REGISTRY.get_sample_value("portal_bus_publisher_reopened_total",
                                     {"connection": connection, "what": what}) or 0.0


async def test_a_streak_of_refusals_reopens_the_publisher_and_the_message_goes_through_once(
        broker_url: str) -> None:
    name = "recovery-test"
    bus = connect_bus(broker_url, name=name)
    await bus.start()
    await bus.declare([])
    async with await aio_pika.connect(broker_url) as admin:
        channel = await admin.channel()
        # A full queue that refuses publishes: the broker answers basic.nack, as a refusing node does.
        full = await channel.declare_queue("test.full", arguments={"x-max-length": 1,
                                                                   "x-overflow": "reject-publish"})
        await full.bind(EVENTS, "test.full")
        await bus.publish(Envelope(type="om.portal.test.filler.v1", source="/tests", data={}), EVENTS, "test.full")
        refused = [Envelope(type="om.portal.test.refused.v1", source="/tests", data={"n": n}) for n in range(3)]

        for envelope in refused:
            with pytest.raises(PublishFailed):
                await bus.publish(envelope, EVENTS, "test.full")

        assert reopened(name, "channel") == 1
        assert reopened(name, "connection") == 1
        assert bus.writes.report()["status"] == "failing"

        await full.purge()
        await bus.publish(refused[-1], EVENTS, "test.full")
        assert bus.writes.report()["status"] == "ok"
        taken: list[str | None] = []

        async def arrived() -> bool:
            message = await full.get(no_ack=True, fail=False)
            if message is not None:
                taken.append(message.message_id)
            return bool(taken)

        await eventually(arrived)
        assert taken == [refused[-1].id]
    await bus.close()
