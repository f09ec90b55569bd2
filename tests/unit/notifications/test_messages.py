"""Emails and SMS as the citizen receives them: right-to-left in Arabic, escaped, linked, headed correctly."""

import email
from email.message import EmailMessage, Message
from email.policy import default

from aiosmtplib.email import flatten_message

from services.notifications.channels import OutgoingEmail
from services.notifications.channels.email import build_message, message_bytes
from services.notifications.domain import (
    BY_ID,
    LRM,
    RLM,
    SAMPLE,
    TEMPLATES,
    Lang,
    Personalisation,
    render_email,
    render_sms,
)

VALUES = Personalisation(tracking_number="MOH-2025-000123-K", service="تجديد جواز السفر",
                         note="Bring <the original> & a copy")
PUBLIC = "https://portal.gov.om/"


def test_an_arabic_email_reads_right_to_left_in_html_and_in_plain_text() -> None:
    content = render_email(TEMPLATES["action_required"], VALUES, "ar", PUBLIC)

    assert content.html.startswith('<!DOCTYPE html>\n<html lang="ar" dir="rtl">')
    assert 'style="direction:rtl;text-align:right;' in content.html
    assert '<bdi dir="ltr">MOH-2025-000123-K</bdi>' in content.html
    assert all(line.startswith(RLM) for line in content.text.splitlines() if line)
    assert "\u2066MOH-2025-000123-K\u2069" in content.text


def test_an_english_email_reads_left_to_right() -> None:
    content = render_email(TEMPLATES["approved"], VALUES.model_copy(update={"service": "Passport renewal"}), "en",
                           PUBLIC)

    assert '<html lang="en" dir="ltr">' in content.html
    assert "your request MOH-2025-000123-K for Passport renewal was approved" in content.text
    assert RLM not in content.text
    assert content.subject == "Your request was approved"


def test_the_ministry_note_cannot_inject_markup_into_the_html() -> None:
    content = render_email(TEMPLATES["action_required"], VALUES, "en", PUBLIC)

    assert "<bdi>Bring &lt;the original&gt; &amp; a copy</bdi>" in content.html
    assert "<the original>" not in content.html
    assert "Bring <the original> & a copy" in content.text


def test_the_email_links_to_the_request_on_the_public_portal() -> None:
    content = render_email(TEMPLATES["received"], VALUES.model_copy(update={"tracking_number": "A/B 1"}), "en",
                           PUBLIC)

    assert 'href="https://portal.gov.om/requests/A%2FB%201"' in content.html
    assert "https://portal.gov.om/requests/A%2FB%201" in content.text


def test_an_sms_is_one_line_without_the_note_and_marks_the_tracking_number_for_old_handsets() -> None:
    arabic = render_sms(TEMPLATES["action_required"], VALUES, "ar", PUBLIC)
    english = render_sms(TEMPLATES["action_required"], VALUES, "en", PUBLIC)

    assert "\n" not in arabic
    assert f"{LRM}MOH-2025-000123-K{LRM}" in arabic
    assert "Bring" not in arabic + english
    assert english == ("Oman Gov Portal: Your request MOH-2025-000123-K needs an action from you. "
                       "https://portal.gov.om/requests/MOH-2025-000123-K")


def parse(message: EmailMessage) -> EmailMessage:
    parsed = email.message_from_bytes(message.as_bytes(), policy=default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_the_mime_message_carries_both_parts_its_language_and_a_stable_message_id() -> None:
    content = render_email(TEMPLATES["approved"], VALUES, "ar", PUBLIC)
    outgoing = OutgoingEmail("0b0e6f0e-4a8c-4c4e-9d5e-1d2f3a4b5c6d", "aisha@example.om", "ar", content.subject,
                             content.text, content.html)

    message = parse(build_message(outgoing, "no-reply@portal.gov.om"))

    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["Content-Language"] == "ar"
    assert [p["Content-Language"] for p in message.iter_parts()] == ["ar", "ar"]
    assert message["Message-ID"] == "<0b0e6f0e-4a8c-4c4e-9d5e-1d2f3a4b5c6d@portal.gov.om>"
    assert str(message["Subject"]) == "تمت الموافقة على طلبك"
    assert message["From"].addresses[0].display_name == "بوابة الخدمات الحكومية"
    assert message["Auto-Submitted"] == "auto-generated"
    html = message.get_body(("html",))
    assert html is not None and html.get_content_charset() == "utf-8"


def test_the_recipient_is_left_out_of_what_a_log_line_would_show() -> None:
    outgoing = OutgoingEmail("d-1", "aisha@example.om", "en", "s", "t", "<p>h</p>")

    assert "aisha@example.om" not in repr(outgoing)


def test_the_bytes_sent_over_smtp_are_what_aiosmtplib_would_write_for_every_template_and_language() -> None:
    recipients: tuple[tuple[Lang, str], ...] = (("ar", "عائشة@مثال.عمان"), ("en", "aisha@example.om"))
    for template in BY_ID.values():
        for lang, to in recipients:
            content = render_email(template, SAMPLE, lang, PUBLIC)
            outgoing = OutgoingEmail("0b0e6f0e-4a8c-4c4e-9d5e-1d2f3a4b5c6d", to, lang, content.subject * 3,
                                     content.text, content.html)
            message = build_message(outgoing, "no-reply@portal.gov.om")

            written = message_bytes(message)

            assert written == flatten_message(message), (template.id, lang)
            assert written.isascii(), "7-bit: no BODY=8BITMIME is asked for"


def test_the_mime_boundary_is_chosen_before_writing_and_cannot_occur_in_the_base64_bodies() -> None:
    content = render_email(TEMPLATES["approved"], VALUES, "ar", PUBLIC)
    message = build_message(OutgoingEmail("d-1", "aisha@example.om", "ar", content.subject, content.text,
                                          content.html), "no-reply@portal.gov.om")

    boundary = message.get_boundary()

    assert boundary is not None and "_" in boundary, "'_' is not in base64's alphabet"
    parts = message.get_payload()
    assert isinstance(parts, list) and len(parts) == 2
    assert all(isinstance(part, Message) and boundary not in str(part.get_payload()) for part in parts)
    assert f"--{boundary}--".encode() in message_bytes(message)
