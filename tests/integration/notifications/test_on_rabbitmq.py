"""On a real broker: status events in from RabbitMQ, the email out, and a failed delivery published to operators."""

import json
from typing import Any

import pytest

from shared.auth import IdentitySigner
from shared.bus.topology import NOTIFICATIONS_DELIVERY_FAILURES as FAILURES
from shared.contracts.notifications import DeliveryFailed
from tests.integration.notifications.support import (
    AISHA_EMAIL,
    SALIM,
    SmtpServer,
    as_citizen,
    create_preferences,
    create_status_change,
    envelope_of,
    eventually,
    fast_settings,
    publish,
    running,
    save_preferences,
    wait_for_deliveries,
)

pytestmark = pytest.mark.integration


async def test_on_rabbitmq_one_email_goes_out_and_a_refused_one_reaches_the_operators_queue(
        sqlite_url: str, public_key: str, broker_url: str, smtp: SmtpServer, signer: IdentitySigner) -> None:
    smtp.behaviour.refused["salim@example.om"] = "550 5.1.1 no such mailbox"
    settings = fast_settings(sqlite_url, public_key, smtp.port, amqp_url=broker_url)
    async with running(settings) as (app, client):
        aisha, salim = as_citizen(signer), as_citizen(signer, SALIM)
        await save_preferences(client, aisha, create_preferences())
        await save_preferences(client, salim, create_preferences(email="salim@example.om"))
        await publish(app, envelope_of(create_status_change(tracking_number="MOH-2025-000300-A")))
        await publish(app, envelope_of(create_status_change(citizen=SALIM, tracking_number="MOH-2025-000301-B")))
        await wait_for_deliveries(client, aisha, {"inbox": "delivered", "email": "sent"})
        await wait_for_deliveries(client, salim, {"inbox": "delivered", "email": "failed_permanently"})
        failures: list[dict[str, Any]] = []

        async def reached_operators() -> list[dict[str, Any]]:
            failures.extend(json.loads(m.body) for m in await app.state.runtime.bus.drain(FAILURES.name))
            return failures

        await eventually(reached_operators, within=10)

    [message] = smtp.received
    assert str(message["To"]) == AISHA_EMAIL
    [failure] = failures
    event = DeliveryFailed.model_validate(failure["data"])
    assert (event.tracking_number, event.reason) == ("MOH-2025-000301-B", "smtp-550-recipient")
    assert "salim@example.om" not in json.dumps(failure)
