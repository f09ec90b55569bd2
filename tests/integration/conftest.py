import uuid
from collections.abc import AsyncIterator

import pytest

from shared.bus.admin import BrokerAdmin
from tests.conftest import require_service

MANAGEMENT_URL = "http://127.0.0.1:15672"


@pytest.fixture
async def broker_url() -> AsyncIterator[str]:
    """A fresh RabbitMQ vhost per test, so tests never see each other's queues."""
    require_service("RabbitMQ", "127.0.0.1", 5672)
    require_service("RabbitMQ management API", "127.0.0.1", 15672)
    vhost = f"test-{uuid.uuid4().hex[:10]}"
    admin = BrokerAdmin(MANAGEMENT_URL, "guest", "guest", vhost)
    await admin.ensure_vhost()
    await admin.grant_admin("guest")
    yield f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    await admin.delete_vhost()
    await admin.close()


@pytest.fixture
def broker_admin_for() -> "type[BrokerAdmin]":
    return BrokerAdmin
