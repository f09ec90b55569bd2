import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from services.search.app import create_app
from services.search.config import Settings


@pytest.fixture
async def app(database_url: str, public_key: str) -> AsyncIterator[FastAPI]:
    application = create_app(Settings(database_url=database_url, amqp_url=f"memory://search-test-{uuid.uuid4()}",
                                      identity_public_key=public_key))
    async with LifespanManager(application, startup_timeout=30):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield client
