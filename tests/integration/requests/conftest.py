"""The requests service in process, on SQLite or PostgreSQL, with the in-memory bus standing in for RabbitMQ."""

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager

from services.requests.app import create_app
from services.requests.config import Settings
from shared.auth import IdentitySigner
from tests.integration.requests.helpers import Harness, create_service_record


@pytest.fixture
def scan_seconds() -> float:
    """Tests drive the clock themselves: the background renewal scan and the submissions' reports to search (on the
    real clock) stay off unless asked."""
    return 0.0


@pytest.fixture
async def harness(database_url: str, public_key: str, signer: IdentitySigner, scan_seconds: float
                  ) -> AsyncIterator[Harness]:
    settings = Settings(database_url=database_url, amqp_url=f"memory://requests-{uuid.uuid4()}",
                        identity_public_key=public_key, catalog_url="http://127.0.0.1:9", outbox_poll_seconds=0.05,
                        renewal_scan_seconds=scan_seconds, submission_counts_seconds=scan_seconds)
    app = create_app(settings)
    async with (
        LifespanManager(app, startup_timeout=30, shutdown_timeout=30),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        h = Harness(app, client, signer)
        await h.publish_service(create_service_record())
        yield h
