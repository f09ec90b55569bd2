"""Renewals due, survey invitations and suggested services, from the bus to the citizen's inbox, email and SMS:
once per event."""

import asyncio
import json
import uuid
from datetime import UTC, date, datetime

import pytest

from shared.auth import IdentitySigner
from shared.bus import Envelope
from shared.bus.topology import DEAD_LETTERS, EVENTS
from shared.contracts.requests import RenewalDue, SuggestionOffered, SurveyInvited
from tests.integration.notifications.support import (
    AISHA,
    AISHA_EMAIL,
    AISHA_PHONE,
    RecordingSms,
    SmtpServer,
    as_citizen,
    create_preferences,
    eventually,
    fast_settings,
    inbox_of,
    running,
    save_preferences,
    wait_for_deliveries,
    wait_for_total,
)

pytestmark = pytest.mark.integration

RENEWAL_KEY = "requests.renewal.due"
SURVEY_KEY = "requests.survey.invited"


def create_renewal_due(citizen: str = AISHA, lang: str = "ar", number: str = "1234567") -> RenewalDue:
    return RenewalDue.model_validate({
        "offer_id": str(uuid.uuid4()), "citizen": citizen, "lang": lang, "document_type": "driving_licence",
        "document_number": number, "expires_on": date(2026, 12, 20).isoformat(),
        "service": "renew-driving-licence", "ministry": "rop", "days_ahead": 30, "due_at": datetime.now(UTC)})


def create_survey_invited(citizen: str = AISHA, lang: str = "ar",
                          tracking_number: str = "ROP-2026-000042-8") -> SurveyInvited:
    return SurveyInvited.model_validate({
        "tracking_number": tracking_number, "service": "renew-driving-licence", "ministry": "rop",
        "citizen": citizen, "lang": lang, "invited_at": datetime.now(UTC)})


def create_suggestion_offered(tracking_number: str = "ROP-2026-000042-8") -> SuggestionOffered:
    return SuggestionOffered.model_validate({
        "tracking_number": tracking_number, "citizen": AISHA, "lang": "ar", "service": "renew-vehicle-registration",
        "ministry": "rop", "because_of": "renew-driving-licence", "offered_at": datetime.now(UTC)})


def envelope(event: RenewalDue | SurveyInvited | SuggestionOffered) -> Envelope:
    return Envelope(type=event.TYPE, source="/requests", data=event.model_dump(mode="json"))


async def test_a_renewal_due_delivered_twice_gives_one_notification_and_one_email(
        database_url: str, public_key: str, smtp: SmtpServer, signer: IdentitySigner,
        capsys: pytest.CaptureFixture[str]) -> None:
    async with running(fast_settings(database_url, public_key, smtp.port)) as (app, client):
        me = as_citizen(signer)
        await save_preferences(client, me, create_preferences(lang="en"))
        twice = envelope(create_renewal_due())
        bus = app.state.runtime.bus
        await bus.publish(twice, EVENTS, RENEWAL_KEY)
        await bus.publish(twice, EVENTS, RENEWAL_KEY)
        item = await wait_for_deliveries(client, me, {"inbox": "delivered", "email": "sent"})
        await asyncio.sleep(0.3)
        inbox = await inbox_of(client, me)
        dead = await bus.drain(DEAD_LETTERS)
    logs = capsys.readouterr().out

    assert dead == []
    assert inbox["total"] == 1
    assert item["kind"] == "renewal_due"
    assert item["title"] == "It is time to renew your document"
    assert "Your driving licence 1234567 expires on 20 December 2026 (11 Rajab 1448 AH); renew it now." in item["body"]
    assert item["link"] == "/dashboard#offers"
    assert item["tracking_number"] == ""
    [message] = smtp.received
    assert str(message["To"]) == AISHA_EMAIL
    text = message.get_body(("plain",))
    assert text is not None and "https://portal.gov.om/dashboard#offers" in text.get_content()
    assert "notification_queued" in logs and "notification_already_queued" in logs
    assert AISHA not in logs and AISHA_EMAIL not in logs


async def test_a_survey_invitation_in_arabic_leads_to_the_rating_form_in_the_inbox_and_by_sms(
        database_url: str, public_key: str, smtp: SmtpServer, sms: RecordingSms, signer: IdentitySigner) -> None:
    async with running(fast_settings(database_url, public_key, smtp.port), sms=sms) as (app, client):
        me = as_citizen(signer)
        await save_preferences(client, me, create_preferences(channels=("inbox", "sms"), email=None,
                                                              phone=AISHA_PHONE))
        await app.state.runtime.bus.publish(envelope(create_survey_invited()), EVENTS, SURVEY_KEY)
        item = await wait_for_deliveries(client, me, {"inbox": "delivered", "sms": "delivered"})

    assert item["kind"] == "survey_invited"
    assert item["title"] == "كيف كانت تجربتك؟"
    assert item["link"] == "/requests/ROP-2026-000042-8/rating"
    assert item["tracking_number"] == "ROP-2026-000042-8"
    [text] = sms.sent
    assert text.lang == "ar"
    assert text.text.endswith("https://portal.gov.om/requests/ROP-2026-000042-8/rating")


async def test_each_kind_of_event_is_claimed_on_its_own_and_a_bad_renewal_is_dead_lettered(
        database_url: str, public_key: str, smtp: SmtpServer, signer: IdentitySigner) -> None:
    async with running(fast_settings(database_url, public_key, smtp.port)) as (app, client):
        bus = app.state.runtime.bus
        bad = create_renewal_due().model_dump(mode="json") | {"expires_on": "soon"}
        await bus.publish(Envelope(type=RenewalDue.TYPE, source="/requests", data=bad), EVENTS, RENEWAL_KEY)
        await bus.publish(envelope(create_renewal_due(number="7654321")), EVENTS, RENEWAL_KEY)
        await bus.publish(envelope(create_survey_invited()), EVENTS, SURVEY_KEY)
        inbox = await wait_for_total(client, as_citizen(signer), 2)
        dead: list[object] = []

        async def dead_letter() -> list[object]:
            dead.extend(await bus.drain(DEAD_LETTERS))
            return dead

        await eventually(dead_letter)

    assert sorted(i["kind"] for i in inbox["items"]) == ["renewal_due", "survey_invited"]
    assert len(dead) == 1
    assert AISHA not in json.dumps(inbox["items"])


async def test_a_suggested_service_delivered_twice_is_one_notice_in_the_citizens_language_leading_to_the_request(
        database_url: str, public_key: str, smtp: SmtpServer, signer: IdentitySigner) -> None:
    async with running(fast_settings(database_url, public_key, smtp.port)) as (app, client):
        me = as_citizen(signer)
        await save_preferences(client, me, create_preferences(lang="en"))
        twice = envelope(create_suggestion_offered())
        bus = app.state.runtime.bus
        await bus.publish(twice, EVENTS, "requests.suggestion.offered")
        await bus.publish(twice, EVENTS, "requests.suggestion.offered")
        item = await wait_for_deliveries(client, me, {"inbox": "delivered", "email": "sent"})
        await asyncio.sleep(0.3)
        inbox = await inbox_of(client, me)

    assert inbox["total"] == 1
    assert (item["kind"], item["title"]) == ("suggestion_offered", "A service you may need next")
    assert "Many people who completed a request like yours" in item["body"]
    assert item["link"] == "/requests/ROP-2026-000042-8#suggestions"
    [message] = smtp.received
    text = message.get_body(("plain",))
    assert text is not None and "https://portal.gov.om/requests/ROP-2026-000042-8#suggestions" in text.get_content()
