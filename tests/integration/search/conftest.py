import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from services.search.app import create_app
from services.search.config import Settings
from shared.auth import IdentitySigner
from tests.integration.search.helpers import Staff


def create_settings(database_url: str, public_key: str, index_dir: Path) -> Settings:
    return Settings(database_url=database_url, amqp_url=f"memory://search-test-{uuid.uuid4()}",
                    identity_public_key=public_key, index_dir=index_dir, query_log_flush_seconds=0.05)


@pytest.fixture
async def app(database_url: str, public_key: str, tmp_path: Path) -> AsyncIterator[FastAPI]:
    application = create_app(create_settings(database_url, public_key, tmp_path / "index"))
    async with LifespanManager(application, startup_timeout=30, shutdown_timeout=30):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield client


@pytest.fixture
def staff(client: httpx.AsyncClient, signer: IdentitySigner) -> Staff:
    return Staff(client, signer)
