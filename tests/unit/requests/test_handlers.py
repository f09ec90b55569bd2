"""Handlers with fakes that subclass the ports: no database, no broker."""

import asyncio
from datetime import UTC, date, datetime

import pytest

from services.requests.domain.kpis import Period
from services.requests.handlers import Deps, apply_document_issued, cache_service, kpis
from services.requests.learning.child import ChildRetraining
from services.requests.store import RequestsUnitOfWork
from shared.bus import Delivery, Envelope, Rejected
from shared.bus.dispatch import Inbound
from shared.bus.memory import InMemoryBus
from shared.caching import KeptFor
from shared.contracts.base import Bilingual
from shared.contracts.catalog import ServicePublished, ServiceRecord
from shared.contracts.ministries import DocumentIssued


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
    deps = Deps(uow=no_database, catalog=NoCatalog(), ministry_links=links, bus=InMemoryBus(),
                retraining=ChildRetraining("sqlite+aiosqlite://"))
    with pytest.raises(BrokerHiccup):
        await cache_service(create_published(), deps)
    assert links.calls == 1


def create_document_issued(routing_key: str, user_id: str | None) -> Inbound[DocumentIssued]:
    event = DocumentIssued(national_id="12345678", document_type="passport", number="P-1",
                           issued_on=date(2026, 1, 1), occurred_at=datetime.now(UTC))
    envelope = Envelope(type=event.TYPE, source="/ministries/rop", data=event.model_dump(mode="json"))
    return Inbound(envelope.id, event, Delivery(envelope, routing_key, "requests.from.rop", user_id=user_id))


@pytest.mark.parametrize("user_id", [None, "ministry-moh", "guest"])
async def test_a_document_not_published_by_the_ministrys_own_broker_user_is_refused_before_anything_is_kept(
        user_id: str | None) -> None:
    deps = Deps(uow=no_database, catalog=NoCatalog(), ministry_links=FlakyMinistryLinks(), bus=InMemoryBus(),
                retraining=ChildRetraining("sqlite+aiosqlite://"))
    with pytest.raises(Rejected, match="not by the broker user of ministry 'rop'"):
        await apply_document_issued(create_document_issued("rop.document.issued", user_id), deps)


def test_a_kept_report_is_served_until_its_time_is_up() -> None:
    now = [100.0]
    kept: KeptFor[tuple[str, None], str] = KeptFor(seconds=60, clock=lambda: now[0])
    kept.put(("january", None), "report")
    now[0] += 59
    assert kept.get(("january", None)) == "report"
    now[0] += 2
    assert kept.get(("january", None)) is None


async def test_many_visitors_asking_for_the_same_uncached_kpis_at_once_cost_one_computation(
        monkeypatch: pytest.MonkeyPatch) -> None:
    computed: list[object] = []

    async def slow_compute(period: Period, deps: Deps, ministry: str | None, service: str | None) -> object:
        computed.append(period)
        await asyncio.sleep(0.05)
        return kpis.PerformanceReport(period, datetime.now(UTC), None, [], [])  # type: ignore[arg-type]

    monkeypatch.setattr(kpis, "_compute", slow_compute)
    deps = Deps(uow=no_database, catalog=NoCatalog(), ministry_links=FlakyMinistryLinks(), bus=InMemoryBus(),
                retraining=ChildRetraining("sqlite+aiosqlite://"))
    period = Period(date(2026, 1, 1), date(2026, 12, 31))
    reports = await asyncio.gather(*(kpis.performance(period, deps) for _ in range(5)))
    assert len(computed) == 1
    assert all(r is reports[0] for r in reports)
