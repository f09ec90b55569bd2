"""A publishing channel the broker keeps refusing is replaced (a fresh channel, then a fresh connection) and the
same message sent again; once the broker takes it, it arrives once, under its first message id."""

from urllib.parse import quote

import aio_pika
import httpx
import pytest
from prometheus_client import REGISTRY

from shared.bus import Envelope, PublishFailed, connect_bus
from shared.bus.topology import EVENTS, vhost_of
from tests.integration.bus.helpers import eventually
from tests.integration.conftest import MANAGEMENT_URL

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


async def publishing_connections(client: httpx.AsyncClient, vhost: str, name: str) -> list[dict[str, object]]:
    response = await client.get(f"/api/vhosts/{quote(vhost, safe='')}/connections",
                                params={"columns": "name,user_provided_name,channels"})
    response.raise_for_status()
    return [c for c in response.json() if c.get("user_provided_name") == f"{name} (publishing)"]


async def test_a_channel_restored_after_a_reconnect_is_reopened_at_its_first_refusal(broker_url: str) -> None:
    """After a node loss the robust connection restores the publishing channel on a surviving node, and the broker
    may refuse every publish on it while a fresh channel is served: waiting for a streak of three refusals there
    held a ministry's updates back (the issue's node-loss stall), so the restored channel is replaced at once."""
    name = "restored-test"
    bus = connect_bus(broker_url, name=name)
    await bus.start()
    await bus.declare([])
    vhost = vhost_of(broker_url)
    async with await aio_pika.connect(broker_url) as admin, \
            httpx.AsyncClient(base_url=MANAGEMENT_URL, auth=("guest", "guest"), timeout=10.0) as management:
        channel = await admin.channel()
        full = await channel.declare_queue("test.full", arguments={"x-max-length": 1,
                                                                   "x-overflow": "reject-publish"})
        await full.bind(EVENTS, "test.full")
        # The channel has had its confirms: a refusal on it now would be the first of a streak.
        await bus.publish(Envelope(type="om.portal.test.filler.v1", source="/tests", data={}), EVENTS, "test.full")
        listed: list[dict[str, object]] = []

        async def listed_by_the_broker() -> bool:
            listed[:] = await publishing_connections(management, vhost, name)
            return len(listed) == 1

        await eventually(listed_by_the_broker, within=30.0)
        [dropped] = listed
        closed = await management.delete(f"/api/connections/{quote(str(dropped['name']), safe='')}")
        assert closed.status_code == 204

        async def restored() -> bool:
            found = await publishing_connections(management, vhost, name)
            return any(c["name"] != dropped["name"] and c.get("channels") == 1 for c in found) \
                and await bus.is_ready()

        await eventually(restored, within=30.0)
        refused = Envelope(type="om.portal.test.refused.v1", source="/tests", data={})
        with pytest.raises(PublishFailed):
            await bus.publish(refused, EVENTS, "test.full")

        assert reopened(name, "channel") == 1

        await full.purge()
        await bus.publish(refused, EVENTS, "test.full")
        message = await full.get(no_ack=True, fail=False)
        assert message is not None and message.message_id == refused.id
    await bus.close()
