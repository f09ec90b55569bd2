import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from services.catalog.app import create_app
from services.catalog.config import Settings
from shared.auth import Identity, IdentitySigner
from shared.bus import Envelope
from shared.bus.memory import InMemoryBus
from tests.factories import create_admin
from tests.integration.bus.helpers import eventually


def create_service_draft(slug: str = "renew-licence", **changes: Any) -> dict[str, Any]:
    return {"slug": slug, "title": {"ar": "تجديد رخصة القيادة", "en": "Renew a driving licence"},
            "description": {"ar": "تجديد الرخصة", "en": "Renew the licence"}, "maturity": "electronic",
            "life_events": ["driving"], "target_days": 2,
            "form": [{"name": "licence", "kind": "text", "label": {"ar": "الرقم", "en": "Number"}}]} | changes


class Harness:
    def __init__(self, app: FastAPI, client: httpx.AsyncClient, signer: IdentitySigner) -> None:
        self.app, self.client, self.signer = app, client, signer

    def as_(self, identity: Identity) -> dict[str, str]:
        return {"x-portal-identity": self.signer.sign(identity)}

    async def events(self, count: int, queue: str = "search.catalog-events") -> list[Envelope]:
        bus = self.app.state.runtime.bus
        assert isinstance(bus, InMemoryBus)

        async def arrived() -> bool:
            return bus.queues[queue].messages.qsize() >= count

        await eventually(arrived)
        return [Envelope.from_body(d.body) for d in await bus.drain(queue)]


@pytest.fixture
async def harness(database_url: str, public_key: str, signer: IdentitySigner) -> AsyncIterator[Harness]:
    app = create_app(Settings(database_url=database_url, amqp_url=f"memory://catalog-{uuid.uuid4()}",
                              identity_public_key=public_key, outbox_poll_seconds=0.05))
    async with (
        LifespanManager(app, startup_timeout=30, shutdown_timeout=30),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        h = Harness(app, client, signer)
        for code, en in (("rop", "Royal Oman Police"), ("moh", "Ministry of Health")):
            response = await client.post("/api/v1/admin/ministries", headers=h.as_(create_admin()),
                                         json={"code": code, "name": {"ar": "جهة", "en": en}})
            assert response.status_code == 201
        yield h
