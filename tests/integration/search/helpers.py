"""Building catalogue events, putting them on the search service's bus, waiting for the index, acting as staff."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
from fastapi import FastAPI

from services.search.domain import IndexedService, build_document
from shared.auth import Identity, IdentitySigner
from shared.bus import Envelope
from shared.bus.topology import EVENTS
from shared.contracts.base import Bilingual, IntegrationEvent
from shared.contracts.catalog import Maturity, ServicePublished, ServiceRecord, ServiceRetired, ServiceUpdated
from shared.contracts.requests import RequestStatusChanged, SubmissionsCounted
from tests.factories import create_admin

T = TypeVar("T")
ROUTING_KEYS = {ServicePublished: "catalog.service.published", ServiceUpdated: "catalog.service.updated",
                ServiceRetired: "catalog.service.retired", RequestStatusChanged: "requests.request.status_changed",
                SubmissionsCounted: "requests.submissions.counted"}
MINISTRY_NAMES = {"rop": Bilingual(ar="شرطة عمان السلطانية", en="Royal Oman Police"),
                  "moh": Bilingual(ar="وزارة الصحة", en="Ministry of Health")}


def create_service_record(slug: str = "renew-driving-licence", title_ar: str = "تجديد رخصة القيادة",
                          title_en: str = "Renew a driving licence",
                          description_ar: str = "تجديد رخصة القيادة المنتهية عبر الإنترنت",
                          description_en: str = "Renew an expired driving licence online",
                          keywords: tuple[str, ...] = (), ministry: str = "rop",
                          maturity: Maturity = "electronic", life_events: tuple[str, ...] = ("driving",),
                          version: int = 1) -> ServiceRecord:
    return ServiceRecord(
        slug=slug, ministry=ministry,
        ministry_name=MINISTRY_NAMES.get(ministry, Bilingual(ar="وزارة", en="Ministry")), version=version,
        title=Bilingual(ar=title_ar, en=title_en),
        description=Bilingual(ar=description_ar, en=description_en),
        keywords=list(keywords), maturity=maturity, life_events=list(life_events), target_days=5)


def envelope_for(event: IntegrationEvent, event_id: str | None = None) -> Envelope:
    ids = {"id": event_id} if event_id else {}
    return Envelope(type=event.TYPE, source="/catalog", data=event.model_dump(mode="json"), **ids)


async def deliver(app: FastAPI, envelope: Envelope, routing_key: str) -> None:
    await app.state.runtime.bus.publish(envelope, EVENTS, routing_key)


async def publish(app: FastAPI, event: IntegrationEvent, event_id: str | None = None) -> Envelope:
    envelope = envelope_for(event, event_id)
    await deliver(app, envelope, ROUTING_KEYS[type(event)])
    return envelope


async def eventually(probe: Callable[[], Awaitable[T | None]], within: float = 5.0) -> T:
    """Poll until the probe returns something truthy; the consumer applies events in the background."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = await probe()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still nothing after {within} s")
        await asyncio.sleep(0.05)


async def search(client: httpx.AsyncClient, q: str, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/v1/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def found(client: httpx.AsyncClient, q: str, **params: Any) -> list[str]:
    return [hit["slug"] for hit in (await search(client, q, **params))["hits"]]


async def wait_until_found(client: httpx.AsyncClient, q: str, slug: str) -> list[str]:
    async def probe() -> list[str] | None:
        slugs = await found(client, q)
        return slugs if slug in slugs else None

    return await eventually(probe)


async def wait_until_consumed(app: FastAPI, client: httpx.AsyncClient) -> None:
    """One consumer applies the queue in order, so once a marker is indexed all before it were handled."""
    word = f"marker{uuid.uuid4().hex[:8]}"
    slug = f"{word}-service"
    await publish(app, ServicePublished(service=create_service_record(
        slug=slug, title_ar=word, title_en=word, description_ar=word, description_en=word, ministry="mx",
        life_events=())))
    await wait_until_found(client, word, slug)


class Staff:
    """Calls the search service as portal staff (or as another identity) would, through the gateway."""

    def __init__(self, client: httpx.AsyncClient, signer: IdentitySigner) -> None:
        self.client, self.signer = client, signer

    def headers(self, identity: Identity | None = None) -> dict[str, str]:
        return {"x-portal-identity": self.signer.sign(identity or create_admin())}

    async def get(self, path: str, **params: Any) -> httpx.Response:
        return await self.client.get(path, params=params, headers=self.headers())

    async def post(self, path: str, body: Any = None) -> httpx.Response:
        return await self.client.post(path, json=body, headers=self.headers())

    async def delete(self, path: str) -> httpx.Response:
        return await self.client.delete(path, headers=self.headers())

    async def reindex(self, records: list[ServiceRecord]) -> dict[str, Any]:
        """Rebuild the index from these records, as `portal search reindex` does from the catalogue."""
        build = (await self.post("/api/v1/admin/search/rebuilds")).json()["build"]
        for start in range(0, len(records), 50):
            batch = [r.model_dump(mode="json") for r in records[start:start + 50]]
            sent = await self.post(f"/api/v1/admin/search/rebuilds/{build}/services", {"services": batch})
            assert sent.status_code == 200, sent.text
        done = await self.post(f"/api/v1/admin/search/rebuilds/{build}/complete", {"expected": len(records)})
        assert done.status_code == 200, done.text
        body: dict[str, Any] = done.json()
        return body


def create_indexed_service(slug: str = "renew-driving-licence", popularity: int = 0, **changes: Any) -> IndexedService:
    return build_document(create_service_record(slug=slug, **changes), popularity)
