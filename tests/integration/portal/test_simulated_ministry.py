"""The simulated ministry on RabbitMQ survives kill -9: every request it took still completes, each status once."""

import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from shared.bus import Delivery, connect_bus
from shared.bus.admin import BrokerAdmin, vhost_of
from shared.bus.topology import TO_MINISTRIES, from_ministry, ministry_inbox
from tests.integration.bus.helpers import eventually
from tests.integration.conftest import MANAGEMENT_URL
from tests.unit.portal.test_simulator import create_submitted

pytestmark = pytest.mark.integration


@pytest.fixture
async def ministry(broker_url: str) -> AsyncIterator[tuple[str, str, str]]:
    """A ministry with its broker user, and its queues declared by the portal's side."""
    code = f"t{uuid.uuid4().hex[:8]}"
    admin = BrokerAdmin(MANAGEMENT_URL, "guest", "guest", vhost_of(broker_url))
    password = secrets.token_urlsafe(16)
    user = await admin.onboard_ministry(code, password)
    portal = connect_bus(broker_url, "portal-side")
    await portal.start()
    await portal.declare([ministry_inbox(code), from_ministry(code)])
    await portal.close()
    yield code, user, password
    await admin.delete_user(user)
    await admin.close()


def simulate(broker_url: str, code: str, user: str, password: str, run_dir: Path) -> subprocess.Popen[bytes]:
    credentials = [{"code": code, "user": user, "password": password}]
    env = os.environ | {"PORTAL_AMQP_URL": broker_url, "PORTAL_RUN_DIR": str(run_dir), "PORTAL_SIMULATOR_DELAY": "1.0",
                        "PORTAL_SIMULATOR_CREDENTIALS": json.dumps(credentials)}
    return subprocess.Popen([sys.executable, "-m", "portal.cli", "simulate-ministry"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def test_a_simulated_ministry_killed_mid_journey_completes_it_after_restart_with_each_status_once(
        broker_url: str, ministry: tuple[str, str, str], tmp_path: Path) -> None:
    code, user, password = ministry
    bus = connect_bus(broker_url, "test")
    await bus.start()
    statuses: list[tuple[str, str]] = []

    async def record(delivery: Delivery) -> None:
        if "status" in delivery.envelope.data:
            statuses.append((delivery.envelope.data["status"], delivery.envelope.id))

    async def reached(status: str) -> bool:
        return any(seen == status for seen, _ in statuses)

    await bus.consume(from_ministry(code), record)
    simulator = simulate(broker_url, code, user, password, tmp_path)
    try:
        submitted = create_submitted("pay-traffic-fines", f"{code.upper()}-2026-000042-7")
        await bus.publish(submitted, TO_MINISTRIES, f"{code}.request.submitted")
        await eventually(lambda: reached("received"), within=30)
        simulator.send_signal(signal.SIGKILL)
        simulator.wait()
        simulator = simulate(broker_url, code, user, password, tmp_path)
        await eventually(lambda: reached("completed"), within=30)
        await asyncio.sleep(1.0)
    finally:
        simulator.send_signal(signal.SIGTERM)
        simulator.wait(timeout=20)
        await bus.close()
    assert [status for status, _ in statuses] == ["received", "in_review", "approved", "completed"]
    assert len({event_id for _, event_id in statuses}) == 4
