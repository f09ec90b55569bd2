"""Operators see the true outbox backlog while the broker refuses writes: every unsent row, and how old the
oldest is, not what the last batch happened to hold."""

import pytest
from prometheus_client import REGISTRY

from shared.bus.memory import InMemoryBus
from shared.bus.topology import EVENTS
from shared.contracts.base import IntegrationEvent
from shared.db import OutboxRelay, UnitOfWork, engine_for
from tests.integration.bus.helpers import inbox, metadata, outbox

pytestmark = pytest.mark.integration


class ThingHappened(IntegrationEvent):
    TYPE = "om.portal.test.thing_happened.v1"
    name: str


def gauge(name: str, service: str) -> float | None:
    return REGISTRY.get_sample_value(name, {"service": service})


async def test_the_backlog_gauge_counts_every_unsent_row_and_the_age_of_the_oldest(database_url: str) -> None:
    engine = engine_for(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    service = f"backlog-{database_url.split(':')[0]}"
    async with UnitOfWork(engine, outbox, inbox, "/tests") as uow:
        for n in range(150):
            # Nothing is bound to this key: the broker takes none of them.
            await uow.publish(ThingHappened(name=str(n)), exchange=EVENTS, routing_key="nobody.listens")
        await uow.commit()
    bus = InMemoryBus()
    await bus.start()
    relay = OutboxRelay(engine, outbox, bus, service, batch=100)
    try:
        assert await relay.publish_pending() == 0
        await relay.measure_backlog()

        assert gauge("portal_outbox_pending", service) == 150
        oldest = gauge("portal_outbox_oldest_pending_seconds", service)
        assert oldest is not None and oldest >= 0

        await bus.declare([])
        async with engine.begin() as connection:
            await connection.execute(outbox.update().values(sent_at=outbox.c.created_at))
        await relay.measure_backlog()
        assert gauge("portal_outbox_pending", service) == 0
        assert gauge("portal_outbox_oldest_pending_seconds", service) == 0
    finally:
        await engine.dispose()
