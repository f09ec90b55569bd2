"""Each ministry's integration scales and fails on its own: the requests service and two ministries on RabbitMQ."""

import asyncio
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import func, select

from ministry_sdk import IncomingRequest, MinistryClient
from services.requests.app import create_app
from services.requests.config import Settings
from services.requests.store import outbox, requests
from shared.auth import IdentitySigner
from shared.bus import Envelope, connect_bus
from shared.bus.admin import BrokerAdmin, vhost_of, with_credentials
from shared.bus.topology import EVENTS, FROM_MINISTRIES, ministry_broker_user
from shared.contracts.catalog import ServicePublished
from shared.contracts.requests import RenewalDue
from tests.factories import create_admin, create_citizen
from tests.integration.bus.helpers import eventually
from tests.integration.conftest import MANAGEMENT_URL
from tests.integration.requests.factories import create_renewal_service
from tests.integration.requests.helpers import create_service_record

pytestmark = pytest.mark.integration
QUEUED = 1000


@dataclass
class Ministry:
    code: str
    url: str
    client: MinistryClient
    seen: list[str] = field(default_factory=list)

    async def answer(self, incoming: IncomingRequest) -> None:
        self.seen.append(incoming.request.tracking_number)
        await self.client.update_status(incoming.request.tracking_number, "received")


@dataclass
class Portal:
    app: FastAPI
    client: httpx.AsyncClient
    signer: IdentitySigner
    a: Ministry
    b: Ministry

    async def submit(self, ministry: Ministry, citizen: int = 0) -> str:
        response = await self.client.post(
            "/api/v1/requests", headers={"x-portal-identity": self.signer.sign(create_citizen(f"9{citizen:07d}"))},
            json={"service": f"permit-{ministry.code}", "fields": {"licence": "L-1234"}})
        assert response.status_code == 201, response.text
        return str(response.json()["tracking_number"])

    async def count(self, ministry: Ministry, status: str) -> int:
        async with self.app.state.runtime.engine.connect() as connection:
            return int((await connection.execute(select(func.count()).select_from(requests).where(
                requests.c.ministry == ministry.code, requests.c.status == status))).scalar() or 0)

    async def status_of(self, tracking_number: str) -> str:
        async with self.app.state.deps.uow(read_only=True) as uow:
            row = await uow.requests.get(tracking_number)
        assert row is not None
        return row.status

    async def dead_letters(self) -> list[dict[str, object]]:
        response = await self.client.get("/api/v1/admin/dead-letters",
                                         headers={"x-portal-identity": self.signer.sign(create_admin())})
        items: list[dict[str, object]] = response.json()["items"]
        return items


@pytest.fixture
async def portal(broker_url: str, postgres_url: str, public_key: str, signer: IdentitySigner
                 ) -> AsyncIterator[Portal]:
    admin = BrokerAdmin(MANAGEMENT_URL, "guest", "guest", vhost_of(broker_url))
    codes = [f"a{uuid.uuid4().hex[:6]}", f"b{uuid.uuid4().hex[:6]}"]
    ministries = []
    for code in codes:
        password = secrets.token_urlsafe(16)
        user = await admin.onboard_ministry(code, password)
        url = with_credentials(broker_url, user, password)
        ministries.append(Ministry(code, url, MinistryClient(url, code)))
    settings = Settings(database_url=postgres_url, amqp_url=broker_url, identity_public_key=public_key,
                        catalog_url="http://127.0.0.1:9", outbox_poll_seconds=0.05)
    app = create_app(settings)
    try:
        async with (
            LifespanManager(app, startup_timeout=30, shutdown_timeout=30),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test", timeout=30) as client,
        ):
            for code in codes:
                record = create_service_record(slug=f"permit-{code}", ministry=code)
                await app.state.runtime.bus.publish(
                    Envelope(type=ServicePublished.TYPE, source="/catalog",
                             data=ServicePublished(service=record).model_dump(mode="json")),
                    EVENTS, "catalog.service.published")

            async def both_known() -> bool:
                return set(codes) <= app.state.ministries.consuming

            await eventually(both_known)
            for ministry in ministries:
                await ministry.client.start()
            yield Portal(app, client, signer, *ministries)
            for ministry in ministries:
                await ministry.client.close()
    finally:
        for code in codes:
            await admin.delete_user(ministry_broker_user(code, admin.vhost))
        await admin.close()


async def test_a_ministry_that_is_down_with_a_thousand_requests_queued_never_delays_another(portal: Portal) -> None:
    a, b = portal.a, portal.b
    await b.client.serve(b.answer)
    for start in range(0, QUEUED, 25):
        await asyncio.gather(*(portal.submit(a, n) for n in range(start, start + 25)))

    b_numbers = [await portal.submit(b, n) for n in range(10)]

    async def b_answered() -> bool:
        return await portal.count(b, "received") == len(b_numbers)

    started = time.monotonic()
    await eventually(b_answered, within=30)
    b_seconds = time.monotonic() - started
    assert sorted(b.seen) == sorted(b_numbers)
    assert await portal.count(a, "submitted") == QUEUED

    await a.client.serve(a.answer)
    during_flood = await portal.submit(b)

    async def b_answered_again() -> bool:
        return await portal.status_of(during_flood) == "received"

    await eventually(b_answered_again, within=30)
    received_when_b_was_answered = await portal.count(a, "received")

    async def a_caught_up() -> bool:
        return await portal.count(a, "received") == QUEUED

    await eventually(a_caught_up, within=180)
    assert len(a.seen) == QUEUED
    assert len(set(a.seen)) == QUEUED
    assert received_when_b_was_answered < QUEUED, "b waited behind a's flood of status events"
    assert b_seconds < 30


async def test_a_poison_message_from_a_ministry_is_dead_lettered_and_its_good_messages_continue(
        portal: Portal) -> None:
    a = portal.a
    first, second = await portal.submit(a, 1), await portal.submit(a, 2)
    poisoner = connect_bus(a.url, name="poisoner")
    await poisoner.start()
    await poisoner.publish_raw(b'{"this is": "not a CloudEvent"', FROM_MINISTRIES, f"{a.code}.request.status_updated")
    await poisoner.close()
    await a.client.update_status(first, "received")
    await a.client.update_status(first, "completed")
    await a.client.update_status(second, "received")

    async def both_received() -> bool:
        return await portal.status_of(first) == "received" and await portal.status_of(second) == "received"

    await eventually(both_received)
    reasons: dict[str, str] = {}

    async def two_kept() -> bool:
        reasons.update({str(d["subject"] or "poison"): str(d["reason"]) for d in await portal.dead_letters()})
        return len(reasons) == 2

    await eventually(two_kept)
    assert "not a CloudEvents" in reasons["poison"] or "JSON" in reasons["poison"]
    assert reasons[first].startswith("illegal-transition")


async def test_a_dead_letter_replayed_over_rabbitmq_applies_under_the_ministrys_own_identity(portal: Portal) -> None:
    a = portal.a
    tracking_number = await portal.submit(a)
    await a.client.update_status(tracking_number, "in_review")
    kept: list[dict[str, object]] = []

    async def dead_lettered() -> bool:
        kept[:] = await portal.dead_letters()
        return len(kept) == 1

    await eventually(dead_lettered)
    assert kept[0]["sender"] == ministry_broker_user(a.code, vhost_of(a.url))
    await a.client.update_status(tracking_number, "received")

    async def received() -> bool:
        return await portal.status_of(tracking_number) == "received"

    await eventually(received)
    replayed = await portal.client.post(f"/api/v1/admin/dead-letters/{kept[0]['id']}/replay",
                                        headers={"x-portal-identity": portal.signer.sign(create_admin())})
    assert replayed.status_code == 200

    async def in_review() -> bool:
        return await portal.status_of(tracking_number) == "in_review"

    await eventually(in_review)


async def test_a_document_issued_over_rabbitmq_becomes_one_renewal_offer_however_often_it_is_sent(
        portal: Portal) -> None:
    await portal.app.state.runtime.bus.publish(
        Envelope(type=ServicePublished.TYPE, source="/catalog",
                 data=ServicePublished(service=create_renewal_service(ministry=portal.a.code)).model_dump(
                     mode="json")),
        EVENTS, "catalog.service.published")
    expires_on = datetime.now(UTC).date() + timedelta(days=10)

    async def renewal_known() -> bool:
        async with portal.app.state.deps.uow(read_only=True) as uow:
            return await uow.catalogue.get("renew-driving-licence") is not None

    await eventually(renewal_known)
    citizen = create_citizen()
    event_id = await portal.a.client.issue_document(citizen.subject, "driving_licence", "DL-7001",
                                                    date(2016, 1, 1), expires_on)
    await portal.a.client.issue_document(citizen.subject, "driving_licence", "DL-7001", date(2016, 1, 1),
                                         expires_on, event_id=event_id)
    await portal.a.client.issue_document(citizen.subject, "driving_licence", "DL-7001", date(2016, 1, 1),
                                         expires_on)
    headers = {"x-portal-identity": portal.signer.sign(citizen)}

    async def offered() -> bool:
        response = await portal.client.get("/api/v1/me/offers", headers=headers)
        return len(response.json()["items"]) == 1

    await eventually(offered)
    await asyncio.sleep(0.5)
    [offer] = (await portal.client.get("/api/v1/me/offers", headers=headers)).json()["items"]
    assert offer["prefill"] == {"licence_number": "DL-7001"}
    documents = (await portal.client.get("/api/v1/me/documents", headers=headers)).json()["items"]
    assert [(d["ministry"], d["number"]) for d in documents] == [(portal.a.code, "DL-7001")]
    async with portal.app.state.runtime.engine.connect() as connection:
        due = (await connection.execute(select(func.count()).select_from(outbox)
                                        .where(outbox.c.type == RenewalDue.TYPE))).scalar()
    assert due == 1
