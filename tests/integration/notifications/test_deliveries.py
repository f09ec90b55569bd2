"""Email and SMS reach the citizen through a real SMTP server: once, in their language, retried when the
server says "later", handed to the next channel when it says "never", and held back by a breaker when the
relay is dead, without slowing anything else."""

import asyncio
import json
import time
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI

from services.notifications.domain import RLM, Accepted
from services.notifications.handlers import (
    ClaimDue,
    RecordAttempts,
    ServiceTitles,
    claim_due_deliveries,
    delivery_counts,
    record_attempts,
)
from services.notifications.store import Claimed
from shared.auth import IdentitySigner
from shared.bus.topology import DEAD_LETTERS
from shared.bus.topology import NOTIFICATIONS_DELIVERY_FAILURES as FAILURES
from shared.clock import MUSCAT
from shared.contracts.base import Bilingual
from shared.contracts.notifications import DeliveryFailed
from tests.integration.notifications.support import (
    AISHA,
    AISHA_EMAIL,
    AISHA_PHONE,
    SALIM,
    RecordingSms,
    SmtpServer,
    as_admin,
    as_citizen,
    create_preferences,
    create_status_change,
    envelope_of,
    eventually,
    fast_settings,
    free_port,
    inbox_of,
    publish,
    running,
    save_preferences,
    wait_for_deliveries,
)

pytestmark = pytest.mark.integration

EMAIL_SENT = {"inbox": "delivered", "email": "sent"}
SALIM_PHONE = "+96879876543"


async def received(smtp: SmtpServer, count: int) -> None:
    async def enough() -> bool:
        return len(smtp.received) >= count

    await eventually(enough)


async def delivery_failures(app: FastAPI) -> list[dict[str, Any]]:
    """What reached operators on notifications.delivery.failed, waited for."""
    found: list[dict[str, Any]] = []

    async def arrived() -> list[dict[str, Any]]:
        found.extend(json.loads(m.body) for m in await app.state.runtime.bus.drain(FAILURES.name))
        return found

    await eventually(arrived)
    return found


async def test_a_status_change_reaches_the_citizen_by_email_in_arabic_right_to_left(
        database_url: str, public_key: str, smtp: SmtpServer, signer: IdentitySigner) -> None:
    note = "يرجى إرفاق صورة جواز السفر"
    async with running(fast_settings(database_url, public_key, smtp.port)) as (app, client):
        me = as_citizen(signer)
        await save_preferences(client, me, create_preferences(lang="ar", channels=("inbox", "email")))
        await publish(app, envelope_of(create_status_change(status="action_required", lang="en", note=note)))
        item = await wait_for_deliveries(client, me, EMAIL_SENT)

    [message] = smtp.received
    sender = message["From"].addresses[0]
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    text_content, html_content = text.get_content(), html.get_content()
    assert str(message["To"]) == AISHA_EMAIL
    assert str(message["Subject"]) == "مطلوب إجراء منك" == item["title"]
    assert message["Content-Language"] == "ar"
    assert (sender.display_name, sender.addr_spec) == ("بوابة الخدمات الحكومية", "no-reply@portal.gov.om")
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    assert '<html lang="ar" dir="rtl">' in html_content
    assert '<bdi dir="ltr">MOH-2025-000123-K</bdi>' in html_content
    assert f"<bdi>{note}</bdi>" in html_content
    assert 'href="https://portal.gov.om/requests/MOH-2025-000123-K"' in html_content
    assert all(line.startswith(RLM) for line in text_content.splitlines() if line)
    assert note in text_content
    assert "https://portal.gov.om/requests/MOH-2025-000123-K" in text_content
    assert html["Content-Language"] == text["Content-Language"] == "ar"


async def test_a_redelivered_status_event_sends_nothing_twice(
        database_url: str, public_key: str, smtp: SmtpServer, signer: IdentitySigner) -> None:
    async with running(fast_settings(database_url, public_key, smtp.port)) as (app, client):
        me = as_citizen(signer)
        await save_preferences(client, me, create_preferences())
        twice = envelope_of(create_status_change(tracking_number="MOH-2025-000001-A"))
        await publish(app, twice)
        await publish(app, twice)
        await publish(app, envelope_of(create_status_change(tracking_number="MOH-2025-000002-B")))
        await received(smtp, 2)
        await wait_for_deliveries(client, me, EMAIL_SENT, tracking_number="MOH-2025-000002-B")
        # A second email or notification would follow within milliseconds.
        await asyncio.sleep(0.2)
        inbox = await inbox_of(client, me)
        dead = await app.state.runtime.bus.drain(DEAD_LETTERS)

    subjects = sorted(m.get_body(("plain",)).get_content().split("\n")[0] for m in smtp.received)
    assert len(smtp.received) == 2
    assert "MOH-2025-000001-A" in subjects[0] + subjects[1]
    assert "MOH-2025-000002-B" in subjects[0] + subjects[1]
    assert inbox["total"] == 2
    assert dead == []


async def test_an_outcome_recorded_after_the_lease_passed_to_another_dispatcher_is_not_written(
        postgres_url: str, public_key: str, smtp: SmtpServer, signer: IdentitySigner) -> None:
    async with running(fast_settings(postgres_url, public_key, smtp.port)) as (app, client):
        await app.state.dispatcher.stop()
        deps = app.state.deps
        await save_preferences(client, as_citizen(signer), create_preferences())
        await publish(app, envelope_of(create_status_change()))

        async def queued() -> list[Claimed]:
            # A lease that is over at once: the next claim takes the delivery again, as another replica would.
            return await claim_due_deliveries(ClaimDue("email", 16, lease_seconds=-1.0), deps)

        [first] = await eventually(queued)
        [second] = await queued()
        await record_attempts(RecordAttempts([(first, Accepted("first-reference", False))]), deps)
        after_the_lost_lease = await delivery_counts(deps)
        await record_attempts(RecordAttempts([(second, Accepted("second-reference", False))]), deps)
        after_the_held_lease = await delivery_counts(deps)

    assert first.delivery.id == second.delivery.id and first.lease_id != second.lease_id
    assert ("email", "queued", 1) in after_the_lost_lease
    assert ("email", "sent", 1) in after_the_held_lease


async def test_a_server_that_refuses_for_a_while_gets_the_email_on_a_later_try(
        database_url: str, public_key: str, smtp: SmtpServer, signer: IdentitySigner) -> None:
    smtp.behaviour.temporary_refusals = 1_000_000
    settings = fast_settings(database_url, public_key, smtp.port, retry_max_attempts=100)
    async with running(settings) as (app, client):
        me = as_citizen(signer, lang="en")
        await save_preferences(client, me, create_preferences(lang="en"))
        await publish(app, envelope_of(create_status_change(status="approved")))
        waiting = await wait_for_deliveries(client, me, {"inbox": "delivered", "email": "failed_temporarily"})

        async def retried() -> bool:
            return len(smtp.behaviour.recipients_tried) >= 3

        await eventually(retried)
        smtp.behaviour.temporary_refusals = 0
        sent = await wait_for_deliveries(client, me, EMAIL_SENT)

    [message] = smtp.received
    html = message.get_body(("html",))
    assert html is not None
    assert waiting["id"] == sent["id"]
    assert len(smtp.behaviour.recipients_tried) >= 4
    assert str(message["Subject"]) == "Your request was approved"
    assert message["Content-Language"] == "en"
    assert '<html lang="en" dir="ltr">' in html.get_content()


async def test_an_email_still_refused_after_every_retry_fails_for_good_and_operators_hear_of_it(
        database_url: str, public_key: str, smtp: SmtpServer, signer: IdentitySigner) -> None:
    smtp.behaviour.temporary_refusals = 1_000_000
    async with running(fast_settings(database_url, public_key, smtp.port, retry_max_attempts=3)) as (app, client):
        me = as_citizen(signer)
        await save_preferences(client, me, create_preferences())
        await publish(app, envelope_of(create_status_change()))
        await wait_for_deliveries(client, me, {"inbox": "delivered", "email": "failed_permanently"})
        [failure] = await delivery_failures(app)

    assert len(smtp.behaviour.recipients_tried) == 3
    assert smtp.received == []
    assert failure["type"] == DeliveryFailed.TYPE
    event = DeliveryFailed.model_validate(failure["data"])
    assert event.channel == "email"
    assert event.attempts == 3
    assert event.reason.startswith("smtp-451")
    assert event.fallback_channel is None


async def test_a_permanently_refused_address_falls_back_to_sms(
        database_url: str, public_key: str, smtp: SmtpServer, sms: RecordingSms, signer: IdentitySigner,
        capsys: pytest.CaptureFixture[str]) -> None:
    smtp.behaviour.refused[AISHA_EMAIL] = "550 5.1.1 <aisha@example.om>: mailbox does not exist"
    async with running(fast_settings(database_url, public_key, smtp.port), sms=sms) as (app, client):
        me = as_citizen(signer)
        await save_preferences(client, me, create_preferences(channels=("inbox", "email", "sms"), phone=AISHA_PHONE))
        await publish(app, envelope_of(create_status_change(status="approved")))
        item = await wait_for_deliveries(client, me, {"inbox": "delivered", "email": "failed_permanently",
                                                      "sms": "delivered"})
        [failure] = await delivery_failures(app)
    logs = capsys.readouterr().out

    [text] = sms.sent
    assert smtp.received == []
    assert smtp.behaviour.recipients_tried == [AISHA_EMAIL]
    assert text.to == AISHA_PHONE
    assert text.lang == "ar"
    assert "تمت الموافقة على طلبك رقم" in text.text
    assert "https://portal.gov.om/requests/MOH-2025-000123-K" in text.text
    assert [d["channel"] for d in item["deliveries"]] == ["inbox", "email", "sms"]
    event = DeliveryFailed.model_validate(failure["data"])
    assert (event.channel, event.reason, event.fallback_channel) == ("email", "smtp-550-recipient", "sms")
    assert event.notification_id == item["id"]
    for personal in (AISHA_EMAIL, AISHA_PHONE, AISHA_PHONE[4:]):
        assert personal not in json.dumps(failure)
        assert personal not in logs
    assert "delivery_attempted" in logs


async def test_a_dead_relay_trips_the_breaker_sms_goes_on_and_email_recovers_once_it_is_back(
        database_url: str, public_key: str, sms: RecordingSms, signer: IdentitySigner) -> None:
    port = free_port()  # nothing listens here yet: connection refused
    settings = fast_settings(database_url, public_key, port, retry_max_attempts=20, breaker_failure_threshold=2,
                             breaker_reset_seconds=0.3)
    numbers = [f"MOH-2025-00010{i}-A" for i in range(3)]
    async with running(settings, sms=sms) as (app, client):
        aisha, salim, admin = as_citizen(signer), as_citizen(signer, SALIM), as_admin(signer)
        await save_preferences(client, aisha, create_preferences())
        await save_preferences(client, salim, create_preferences(channels=("inbox", "sms"), email=None,
                                                                 phone=SALIM_PHONE))
        for number in numbers:
            await publish(app, envelope_of(create_status_change(tracking_number=number)))

        async def email_breaker() -> dict[str, Any] | None:
            providers = (await client.get("/api/v1/admin/notifications/providers", headers=admin)).json()
            email = next(p for p in providers["providers"] if p["channel"] == "email")
            return email if email["trips"] >= 1 else None

        tripped = await eventually(email_breaker)
        # The relay stays dead until the SMS is delivered: an SMS held behind e-mail's retries never would be.
        await publish(app, envelope_of(create_status_change(citizen=SALIM, tracking_number="MOH-2025-000200-S")))
        await wait_for_deliveries(client, salim, {"inbox": "delivered", "sms": "delivered"})
        while_dead = {i["tracking_number"]: i["deliveries"][1]["status"]
                      for i in (await inbox_of(client, aisha))["items"]}

        relay = SmtpServer(port).start()
        try:
            for number in numbers:
                await wait_for_deliveries(client, aisha, EMAIL_SENT, tracking_number=number)
            recovered = await email_breaker()
        finally:
            relay.stop()

    assert tripped["provider"] == "smtp"
    assert set(while_dead.values()) <= {"queued", "failed_temporarily"}
    assert len(relay.received) == 3
    assert recovered is not None and recovered["state"] == "closed"
    assert [s.to for s in sms.sent] == [SALIM_PHONE]


async def test_a_relay_that_hangs_holds_up_only_email(
        database_url: str, public_key: str, sms: RecordingSms, signer: IdentitySigner) -> None:
    connections: list[asyncio.StreamWriter] = []

    async def accept_and_say_nothing(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)

    blackhole = await asyncio.start_server(accept_and_say_nothing, "127.0.0.1", 0)
    port = blackhole.sockets[0].getsockname()[1]
    timeout = 3.0
    settings = fast_settings(database_url, public_key, port, smtp_timeout_seconds=timeout)
    try:
        async with running(settings, sms=sms) as (app, client):
            aisha, salim = as_citizen(signer), as_citizen(signer, SALIM)
            await save_preferences(client, aisha, create_preferences())
            await save_preferences(client, salim, create_preferences(channels=("inbox", "sms"), email=None,
                                                                     phone=SALIM_PHONE))
            await publish(app, envelope_of(create_status_change(citizen=AISHA)))

            async def email_in_flight() -> bool:
                return bool(connections)

            await eventually(email_in_flight)
            started = time.monotonic()
            await publish(app, envelope_of(create_status_change(citizen=SALIM, tracking_number="MOH-2025-000201-T")))
            await wait_for_deliveries(client, salim, {"inbox": "delivered", "sms": "delivered"})
            sms_seconds = time.monotonic() - started
            email_meanwhile = (await inbox_of(client, aisha))["items"][0]["deliveries"][1]["status"]
    finally:
        for writer in connections:
            writer.close()
        blackhole.close()

    # Sooner than the hanging email could time out, and while it still hung: it did not wait behind it.
    assert sms_seconds < timeout
    assert email_meanwhile == "queued"


async def test_queued_and_retrying_emails_survive_a_restart(
        database_url: str, public_key: str, smtp: SmtpServer, signer: IdentitySigner) -> None:
    smtp.behaviour.temporary_refusals = 1_000_000
    settings = fast_settings(database_url, public_key, smtp.port, retry_max_attempts=100)
    me = as_citizen(signer)
    async with running(settings) as (app, client):
        await save_preferences(client, me, create_preferences())
        await publish(app, envelope_of(create_status_change()))
        before = await wait_for_deliveries(client, me, {"inbox": "delivered", "email": "failed_temporarily"})
    smtp.behaviour.temporary_refusals = 0

    async with running(settings) as (app, client):
        after = await wait_for_deliveries(client, me, EMAIL_SENT)
        inbox = await inbox_of(client, me)

    assert after["id"] == before["id"]
    assert inbox["total"] == 1
    assert len(smtp.received) == 1


async def test_an_sms_due_in_quiet_hours_waits_until_they_end(
        database_url: str, public_key: str, smtp: SmtpServer, sms: RecordingSms, signer: IdentitySigner) -> None:
    now = datetime.now(MUSCAT)
    quiet = {"start": (now - timedelta(hours=1)).strftime("%H:%M"), "end": (now + timedelta(hours=1)).strftime("%H:%M")}
    async with running(fast_settings(database_url, public_key, smtp.port), sms=sms) as (app, client):
        me = as_citizen(signer)
        await save_preferences(client, me, create_preferences(channels=("inbox", "sms"), email=None,
                                                              phone=AISHA_PHONE, quiet_hours=quiet))
        await publish(app, envelope_of(create_status_change()))
        item = await wait_for_deliveries(client, me, {"inbox": "delivered", "sms": "queued"})
        await asyncio.sleep(0.2)
        later = (await inbox_of(client, me))["items"][0]

    assert sms.sent == []
    assert later["deliveries"] == item["deliveries"]


class CatalogueTitles(ServiceTitles):
    async def title(self, slug: str) -> Bilingual | None:
        return Bilingual(ar="تجديد جواز السفر", en="Passport renewal") if slug == "passport-renewal" else None

    async def close(self) -> None:
        return None


async def test_messages_name_the_service_by_its_title_in_the_citizens_language(
        database_url: str, public_key: str, smtp: SmtpServer, signer: IdentitySigner) -> None:
    async with running(fast_settings(database_url, public_key, smtp.port), titles=CatalogueTitles()) as (app, client):
        me = as_citizen(signer)
        await save_preferences(client, me, create_preferences(lang="en"))
        await publish(app, envelope_of(create_status_change(service="passport-renewal")))
        await publish(app, envelope_of(create_status_change(service="unknown-service", tracking_number="X-1")))
        titled = await wait_for_deliveries(client, me, EMAIL_SENT, tracking_number="MOH-2025-000123-K")
        untitled = await wait_for_deliveries(client, me, EMAIL_SENT, tracking_number="X-1")

    assert "for Passport renewal was approved" in titled["body"]
    assert "for unknown-service was approved" in untitled["body"]
    texts = [m.get_body(("plain",)).get_content() for m in smtp.received]
    assert any("for Passport renewal was approved" in text for text in texts)
