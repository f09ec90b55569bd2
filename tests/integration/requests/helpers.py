"""Driving the requests service in process: a citizen, a ministry on the bus, and staff."""

import dataclasses
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI

from shared.auth import Identity, IdentitySigner
from shared.bus import Envelope
from shared.bus.memory import InMemoryBus
from shared.bus.topology import EVENTS, FROM_MINISTRIES, ministry_broker_user
from shared.contracts.base import Bilingual
from shared.contracts.catalog import FormField, ServicePublished, ServiceRecord
from shared.contracts.ministries import RequestStatusUpdated
from tests.factories import create_admin, create_citizen, create_ministry_identity
from tests.integration.bus.helpers import eventually


def create_service_record(slug: str = "renew-licence", ministry: str = "rop", version: int = 1) -> ServiceRecord:
    text = Bilingual(ar="تجديد الرخصة", en="Renew a licence")
    return ServiceRecord(slug=slug, ministry=ministry, ministry_name=Bilingual(ar="شرطة", en="Police"),
                         version=version, title=text, description=text, maturity="electronic", target_days=2,
                         form=[FormField(name="licence", kind="text", label=text, min_length=3),
                               FormField(name="phone", kind="phone", label=text, required=False)])


class Harness:
    def __init__(self, app: FastAPI, client: httpx.AsyncClient, signer: IdentitySigner) -> None:
        self.app, self.client, self.signer = app, client, signer

    @property
    def bus(self) -> InMemoryBus:
        bus = self.app.state.runtime.bus
        assert isinstance(bus, InMemoryBus)
        return bus

    def catalog_knows_nothing(self) -> None:
        """The catalogue answers, but knows no service beyond those already published on the bus."""

        class EmptyCatalog:
            async def fetch(self, slug: str) -> ServiceRecord | None:
                return None

        self.app.state.deps = dataclasses.replace(self.app.state.deps, catalog=EmptyCatalog())

    def as_(self, identity: Identity) -> dict[str, str]:
        return {"x-portal-identity": self.signer.sign(identity)}

    async def publish_service(self, record: ServiceRecord) -> None:
        envelope = Envelope(type=ServicePublished.TYPE, source="/catalog",
                            data=ServicePublished(service=record).model_dump(mode="json"))
        await self.bus.publish(envelope, EVENTS, "catalog.service.published")

        async def known() -> bool:
            async with self.app.state.deps.uow(read_only=True) as uow:
                cached = await uow.catalogue.get(record.slug)
            return cached is not None and record.ministry in self.app.state.ministries.consuming

        await eventually(known)

    async def submit(self, citizen: Identity | None = None, **fields: Any) -> httpx.Response:
        return await self.client.post("/api/v1/requests", headers=self.as_(citizen or create_citizen()),
                                      json={"service": "renew-licence", "fields": fields or {"licence": "L-1234"}})

    async def ministry_says(self, tracking_number: str, status: str, *, ministry: str = "rop",
                            user_id: str | None = "default", event_id: str | None = None,
                            fields_to_correct: list[str] | None = None) -> str:
        event = RequestStatusUpdated(tracking_number=tracking_number, status=status,  # type: ignore[arg-type]
                                     occurred_at=datetime.now(UTC), fields_to_correct=fields_to_correct or [])
        envelope = Envelope(type=RequestStatusUpdated.TYPE, source=f"/ministries/{ministry}", subject=tracking_number,
                            data=event.model_dump(mode="json"), id=event_id or str(uuid.uuid4()))
        sender = ministry_broker_user(ministry, self.bus.vhost) if user_id == "default" else user_id
        await self.bus.publish(envelope, FROM_MINISTRIES, f"{ministry}.request.status_updated", user_id=sender)
        return envelope.id

    async def status_of(self, tracking_number: str, citizen: Identity | None = None) -> dict[str, Any]:
        response = await self.client.get(f"/api/v1/requests/{tracking_number}",
                                         headers=self.as_(citizen or create_citizen()))
        body: dict[str, Any] = response.json()
        return body

    async def wait_for_status(self, tracking_number: str, status: str) -> dict[str, Any]:
        async def reached() -> bool:
            return (await self.status_of(tracking_number))["status"] == status

        await eventually(reached)
        return await self.status_of(tracking_number)

    async def dead_letters(self, expected: int, **params: str) -> list[dict[str, Any]]:
        """The pending dead letters staff see, oldest first, once `expected` of them are kept."""
        page: dict[str, Any] = {}

        async def kept() -> bool:
            nonlocal page
            response = await self.client.get("/api/v1/admin/dead-letters", params=params,
                                             headers=self.as_(create_admin()))
            page = response.json()
            return bool(page["total"] >= expected)

        await eventually(kept)
        assert page["total"] == expected
        return sorted(page["items"], key=lambda item: item["received_at"])

    async def dead_letter_reasons(self, expected: int) -> list[str]:
        return [str(item["reason"]) for item in await self.dead_letters(expected)]


def at(harness: Harness, when: datetime) -> None:
    harness.app.state.deps = dataclasses.replace(harness.app.state.deps, clock=lambda: when)


def on(day: str, hour: int = 8) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


async def submit(harness: Harness, when: datetime, service: str = "renew-licence",
                 citizen: Identity | None = None) -> str:
    at(harness, when)
    response = await harness.client.post("/api/v1/requests", headers=harness.as_(citizen or create_citizen()),
                                         json={"service": service, "fields": {"licence": "L-1234"}})
    assert response.status_code == 201, response.text
    tracking_number: str = response.json()["tracking_number"]
    return tracking_number


async def move(harness: Harness, tracking_number: str, *steps: tuple[str, datetime], ministry: str = "rop",
               who: Identity | None = None) -> None:
    for status, when in steps:
        at(harness, when)
        response = await harness.client.post(
            f"/api/v1/ministry/requests/{tracking_number}/status", json={"status": status, "note": "done"},
            headers=harness.as_(who or create_ministry_identity(ministry)))
        assert response.status_code == 200, response.text
