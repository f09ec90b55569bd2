"""Per-ministry workers as processes on RabbitMQ: killing one ministry's worker stops no other ministry."""

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import func, select

from ministry_sdk import IncomingRequest, MinistryClient
from services.requests.app import create_app
from services.requests.config import Settings
from services.requests.store import history, requests
from shared.auth import IdentitySigner
from shared.bus import Envelope
from shared.bus.admin import BrokerAdmin, vhost_of, with_credentials
from shared.bus.topology import EVENTS, ministry_broker_user
from shared.contracts.catalog import ServicePublished
from tests.factories import create_citizen
from tests.integration.bus.helpers import eventually
from tests.integration.conftest import MANAGEMENT_URL
from tests.integration.requests.helpers import create_service_record

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Worker:
    code: str
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "portal.cli", "requests-worker", "--ministries", self.code, "--port",
             str(self.port)], env=os.environ | self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    async def ready(self) -> None:
        async with httpx.AsyncClient() as client:
            async def answers() -> bool:
                try:
                    return (await client.get(f"http://127.0.0.1:{self.port}/readyz")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(answers, within=60)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()


@dataclass
class Ministry:
    code: str
    client: MinistryClient
    worker: Worker
    seen: list[str] = field(default_factory=list)

    async def answer(self, incoming: IncomingRequest) -> None:
        self.seen.append(incoming.request.tracking_number)
        await self.client.update_status(incoming.request.tracking_number, "received")


@dataclass
class Deployment:
    app: FastAPI
    client: httpx.AsyncClient
    signer: IdentitySigner
    ministries: list[Ministry]

    async def submit(self, ministry: Ministry) -> str:
        citizen = create_citizen(f"8{uuid.uuid4().int % 10**7:07d}")
        response = await self.client.post("/api/v1/requests", headers={"x-portal-identity": self.signer.sign(citizen)},
                                          json={"service": f"permit-{ministry.code}", "fields": {"licence": "L-1"}})
        assert response.status_code == 201, response.text
        return str(response.json()["tracking_number"])

    async def count(self, ministry: Ministry, status: str) -> int:
        async with self.app.state.runtime.engine.connect() as connection:
            return int((await connection.execute(select(func.count()).select_from(requests).where(
                requests.c.ministry == ministry.code, requests.c.status == status))).scalar() or 0)

    async def applied_received(self, tracking_numbers: list[str]) -> list[int]:
        async with self.app.state.runtime.engine.connect() as connection:
            rows = await connection.execute(
                select(history.c.tracking_number, func.count()).where(
                    history.c.tracking_number.in_(tracking_numbers), history.c.status == "received",
                    history.c.applied == 1).group_by(history.c.tracking_number))
            return sorted(int(n) for _, n in rows)


@pytest.fixture
def workers_to_stop() -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.stop()


@pytest.fixture
async def deployment(broker_url: str, postgres_url: str, public_key: str, signer: IdentitySigner,
                     workers_to_stop: list[Worker]) -> AsyncIterator[Deployment]:
    """The requests API (no ministry consumers) in process, and a worker process per ministry."""
    admin = BrokerAdmin(MANAGEMENT_URL, "guest", "guest", vhost_of(broker_url))
    worker_env = {"REQUESTS_DATABASE_URL": postgres_url, "REQUESTS_AMQP_URL": broker_url,
                  "REQUESTS_IDENTITY_PUBLIC_KEY": public_key, "REQUESTS_CATALOG_URL": "http://127.0.0.1:9",
                  "REQUESTS_LOG_LEVEL": "warning", "REQUESTS_OUTBOX_POLL_SECONDS": "0.05"}
    ministries = []
    for prefix in ("wa", "wb"):
        code = f"{prefix}{uuid.uuid4().hex[:6]}"
        password = secrets.token_urlsafe(16)
        user = await admin.onboard_ministry(code, password)
        client = MinistryClient(with_credentials(broker_url, user, password), code)
        ministries.append(Ministry(code, client, Worker(code, worker_env)))
    settings = Settings(database_url=postgres_url, amqp_url=broker_url, identity_public_key=public_key,
                        catalog_url="http://127.0.0.1:9", outbox_poll_seconds=0.05, consume_ministries=False)
    app = create_app(settings)
    try:
        async with (
            LifespanManager(app, startup_timeout=30, shutdown_timeout=30),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test", timeout=30) as client,
        ):
            for ministry in ministries:
                record = create_service_record(slug=f"permit-{ministry.code}", ministry=ministry.code)
                await app.state.runtime.bus.publish(
                    Envelope(type=ServicePublished.TYPE, source="/catalog",
                             data=ServicePublished(service=record).model_dump(mode="json")),
                    EVENTS, "catalog.service.published")

            async def cached() -> bool:
                async with app.state.deps.uow(read_only=True) as uow:
                    return all([await uow.catalogue.get(f"permit-{m.code}") for m in ministries])

            await eventually(cached)
            assert app.state.ministries.consuming == set()
            for ministry in ministries:
                workers_to_stop.append(ministry.worker)
                ministry.worker.start()
                await ministry.client.start()
                await ministry.client.serve(ministry.answer)
            for ministry in ministries:
                await ministry.worker.ready()
            yield Deployment(app, client, signer, ministries)
            for ministry in ministries:
                await ministry.client.close()
    finally:
        for ministry in ministries:
            await admin.delete_user(ministry_broker_user(ministry.code, admin.vhost))
        await admin.close()


async def test_a_killed_ministry_worker_stops_only_its_ministry_and_catches_up_once_restarted(
        deployment: Deployment) -> None:
    a, b = deployment.ministries

    async def all_received(ministry: Ministry, expected: int) -> bool:
        return await deployment.count(ministry, "received") == expected

    for ministry in (a, b):
        for _ in range(5):
            await deployment.submit(ministry)
    await eventually(lambda: all_received(a, 5), within=30)
    await eventually(lambda: all_received(b, 5), within=30)

    a.worker.kill()
    queued = [await deployment.submit(a) for _ in range(50)]
    for _ in range(10):
        await deployment.submit(b)
    await eventually(lambda: all_received(b, 15), within=30)

    async def a_answered_all() -> bool:
        return set(queued) <= set(a.seen)

    await eventually(a_answered_all, within=30)
    await asyncio.sleep(0.5)
    assert await deployment.count(a, "received") == 5, "a's status events were applied with its worker dead"

    a.worker.start()
    await a.worker.ready()
    await eventually(lambda: all_received(a, 55), within=60)
    assert await deployment.applied_received(queued) == [1] * len(queued)
