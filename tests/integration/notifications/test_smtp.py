"""The SMTP adapter against real servers: the development mail drop of `make run`, and relays that refuse."""

import email
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest

from portal.dev_mail import DevMailServer, notifications_mail_env
from services.notifications.channels import OutgoingEmail, PermanentFailure, ProviderUnavailable, TemporaryFailure
from services.notifications.channels.email import SmtpEmailSender, SmtpSettings
from services.notifications.domain import TEMPLATES, Personalisation, render_email
from tests.integration.notifications.support import AISHA_EMAIL, SmtpServer, free_port

pytestmark = pytest.mark.integration


def create_email(lang: str = "ar") -> OutgoingEmail:
    content = render_email(TEMPLATES["completed"], Personalisation(tracking_number="MOH-2025-000123-K",
                                                                   service="passport-renewal"),
                           "ar" if lang == "ar" else "en", "http://127.0.0.1:8000")
    return OutgoingEmail("0b0e6f0e-4a8c-4c4e-9d5e-1d2f3a4b5c6d", AISHA_EMAIL, content.lang, content.subject,
                         content.text, content.html)


def sender_to(port: int) -> SmtpEmailSender:
    return SmtpEmailSender(SmtpSettings(host="127.0.0.1", port=port, from_address="no-reply@portal.gov.om",
                                        starttls=False, timeout_seconds=2.0))


async def test_the_dev_mail_server_keeps_each_email_as_an_eml_file_a_developer_can_open(tmp_path: Path) -> None:
    with DevMailServer(tmp_path / "mail", port=free_port()) as server:
        receipt = await sender_to(server.port).send_email(create_email())
        files = server.messages()

    [eml] = files
    message = email.message_from_bytes(eml.read_bytes(), policy=default)
    assert isinstance(message, EmailMessage)
    assert eml.suffix == ".eml"
    assert server.handler.received == 1
    assert receipt.reference == "<0b0e6f0e-4a8c-4c4e-9d5e-1d2f3a4b5c6d@portal.gov.om>"
    assert str(message["Subject"]) == "اكتمل طلبك"
    assert message["Content-Language"] == "ar"
    assert str(message["To"]) == AISHA_EMAIL


def test_the_notifications_service_is_told_where_the_dev_mail_server_listens(tmp_path: Path) -> None:
    env = notifications_mail_env(8025, sms_dir=tmp_path / "sms")

    assert env == {"NOTIFICATIONS_SMTP_HOST": "127.0.0.1", "NOTIFICATIONS_SMTP_PORT": "8025",
                   "NOTIFICATIONS_SMTP_STARTTLS": "false", "NOTIFICATIONS_SMTP_TLS": "false",
                   "NOTIFICATIONS_SMS_PROVIDER": "sink", "NOTIFICATIONS_SMS_SINK_DIR": str(tmp_path / "sms")}


async def test_one_smtp_session_carries_one_email_after_another(smtp: SmtpServer) -> None:
    sender = sender_to(smtp.port)

    for _ in range(3):
        await sender.send_email(create_email())
    await sender.close()

    assert len(smtp.received) == 3
    assert len(set(smtp.behaviour.sessions)) == 1


async def test_an_email_still_goes_out_after_the_relay_dropped_the_idle_session(smtp: SmtpServer) -> None:
    sender = sender_to(smtp.port)
    await sender.send_email(create_email())
    smtp.stop()
    restarted = SmtpServer(smtp.port).start()
    try:
        receipt = await sender.send_email(create_email())
        await sender.close()
    finally:
        restarted.stop()

    assert len(restarted.received) == 1
    assert receipt.reference == "<0b0e6f0e-4a8c-4c4e-9d5e-1d2f3a4b5c6d@portal.gov.om>"


async def test_after_a_refused_email_the_next_one_still_goes_out(smtp: SmtpServer) -> None:
    smtp.behaviour.refused[AISHA_EMAIL] = "550 5.1.1 <aisha@example.om>: no such mailbox"
    sender = sender_to(smtp.port)
    with pytest.raises(PermanentFailure):
        await sender.send_email(create_email())
    del smtp.behaviour.refused[AISHA_EMAIL]

    await sender.send_email(create_email())
    await sender.close()

    assert len(smtp.received) == 1


async def test_a_mailbox_refused_for_good_is_a_permanent_failure(smtp: SmtpServer) -> None:
    smtp.behaviour.refused[AISHA_EMAIL] = "550 5.1.1 <aisha@example.om>: no such mailbox"

    with pytest.raises(PermanentFailure) as refused:
        await sender_to(smtp.port).send_email(create_email())

    assert refused.value.reason == "smtp-550-recipient"
    assert AISHA_EMAIL not in str(refused.value)


async def test_a_mailbox_that_says_later_is_a_temporary_failure(smtp: SmtpServer) -> None:
    smtp.behaviour.temporary_refusals = 1

    with pytest.raises(TemporaryFailure) as later:
        await sender_to(smtp.port).send_email(create_email())

    assert not isinstance(later.value, ProviderUnavailable)
    assert later.value.reason == "smtp-451-recipient"


async def test_a_relay_nobody_answers_on_is_unavailable() -> None:
    with pytest.raises(ProviderUnavailable) as down:
        await sender_to(free_port()).send_email(create_email())

    assert down.value.reason == "connection-refused"
