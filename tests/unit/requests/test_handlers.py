"""Handlers with fakes that subclass the ports: no database, no broker."""

import pytest

from services.requests.handlers import Deps, cache_service
from services.requests.store import RequestsUnitOfWork
from shared.bus import Delivery, Envelope
from shared.bus.dispatch import Inbound
from shared.bus.memory import InMemoryBus
from shared.contracts.base import Bilingual
from shared.contracts.catalog import ServicePublished, ServiceRecord


class BrokerHiccup(Exception):
    pass


class FlakyMinistryLinks:
    def __init__(self) -> None:
        self.calls = 0

    async def ensure(self, ministry: str) -> None:
        self.calls += 1
        raise BrokerHiccup(ministry)


class NoCatalog:
    async def fetch(self, slug: str) -> ServiceRecord | None:
        return None


def create_published(ministry: str = "mol") -> Inbound[ServicePublished]:
    text = Bilingual(ar="خدمة", en="Service")
    record = ServiceRecord(slug="s", ministry=ministry, ministry_name=text, version=1, title=text,
                           description=text, maturity="manual", target_days=5)
    event = ServicePublished(service=record)
    envelope = Envelope(type=event.TYPE, source="/catalog", data=event.model_dump(mode="json"))
    return Inbound(envelope.id, event, Delivery(envelope, "catalog.service.published", "requests.catalog-events"))


def no_database() -> RequestsUnitOfWork:
    raise AssertionError("the ministry's queues must be ensured before anything is recorded")


async def test_a_new_ministrys_queues_are_ensured_before_the_event_is_recorded_so_a_retry_tries_again() -> None:
    links = FlakyMinistryLinks()
    deps = Deps(uow=no_database, catalog=NoCatalog(), ministry_links=links, bus=InMemoryBus())
    with pytest.raises(BrokerHiccup):
        await cache_service(create_published(), deps)
    assert links.calls == 1
