"""What a citizen reads when a document is about to expire, and when a completed request asks to be rated."""

import re

import pytest

from services.notifications.domain import (
    BY_ID,
    FSI,
    LRI,
    LRM,
    PDI,
    RENEWAL_DUE,
    SAMPLE,
    SUGGESTION_OFFERED,
    SURVEY_INVITED,
    Lang,
    Personalisation,
    Template,
    render_email,
    render_inbox,
    render_sms,
)

ARABIC_LETTER = re.compile("[\u0621-\u064a]")
PUBLIC = "https://portal.gov.om/"
RENEWAL = Personalisation(service="Driving licence renewal", document_type="driving_licence",
                          document_number="1234567", expires_on="2026-12-20")
SURVEY = Personalisation(tracking_number="ROP-2026-000042-8", service="Driving licence renewal")


def test_a_renewal_due_says_which_document_expires_and_when_in_english() -> None:
    rendered = render_inbox(RENEWAL_DUE, RENEWAL, "en")

    assert rendered.title == "It is time to renew your document"
    assert rendered.body.startswith("Your driving licence 1234567 expires on 20 December 2026 (11 Rajab 1448 AH); "
                                    "renew it now.")
    assert rendered.link == "/dashboard#offers"


def test_a_renewal_due_names_the_document_in_arabic_and_isolates_its_number_and_date() -> None:
    rendered = render_inbox(RENEWAL_DUE, RENEWAL.model_copy(update={"service": "تجديد رخصة القيادة"}), "ar")

    assert rendered.title == "حان موعد تجديد مستندك"
    assert "رخصة القيادة" in rendered.body
    assert f"{LRI}1234567{PDI}" in rendered.body
    # In words, with its Hijri date, isolated so that the month name keeps its right-to-left order.
    assert f"بتاريخ {FSI}20 ديسمبر 2026 (11 رجب 1448 هـ){PDI}" in rendered.body
    assert rendered.link == "/dashboard#offers"


def test_an_unknown_document_type_is_named_as_written() -> None:
    rendered = render_inbox(RENEWAL_DUE, RENEWAL.model_copy(update={"document_type": "fishing_permit"}), "en")

    assert "Your fishing permit 1234567 expires" in rendered.body


def test_the_renewal_email_and_sms_link_to_the_offers_on_the_dashboard() -> None:
    email = render_email(RENEWAL_DUE, RENEWAL, "ar", PUBLIC)
    sms = render_sms(RENEWAL_DUE, RENEWAL, "en", PUBLIC)
    arabic_sms = render_sms(RENEWAL_DUE, RENEWAL, "ar", PUBLIC)

    assert 'href="https://portal.gov.om/dashboard#offers"' in email.html
    assert '<bdi dir="ltr">1234567</bdi>' in email.html
    assert "https://portal.gov.om/dashboard#offers" in email.text
    assert email.subject == "حان موعد تجديد مستندك"
    # One short line: the Gregorian date alone.
    assert sms == ("Oman Gov Portal: Your driving licence 1234567 expires on 20 December 2026. Renew it now: "
                   "https://portal.gov.om/dashboard#offers")
    assert f"{LRM}1234567{LRM}" in arabic_sms and "\n" not in arabic_sms


def test_a_survey_invitation_links_to_the_rating_form_of_its_request() -> None:
    inbox = render_inbox(SURVEY_INVITED, SURVEY, "en")
    email = render_email(SURVEY_INVITED, SURVEY, "en", PUBLIC)
    sms = render_sms(SURVEY_INVITED, SURVEY, "ar", PUBLIC)

    assert inbox.title == "How was your experience?"
    assert "Your request ROP-2026-000042-8 for Driving licence renewal is complete. Rate the service" in inbox.body
    assert inbox.link == "/requests/ROP-2026-000042-8/rating"
    assert 'href="https://portal.gov.om/requests/ROP-2026-000042-8/rating">Rate the service</a>' in email.html
    assert sms.endswith("https://portal.gov.om/requests/ROP-2026-000042-8/rating")


@pytest.mark.parametrize("template", [RENEWAL_DUE, SURVEY_INVITED], ids=lambda t: t.id)
def test_both_new_templates_read_in_both_languages_without_a_placeholder_left(template: Template) -> None:
    values = RENEWAL if template is RENEWAL_DUE else SURVEY
    arabic, english = render_inbox(template, values, "ar"), render_inbox(template, values, "en")

    assert ARABIC_LETTER.search(arabic.title) and ARABIC_LETTER.search(arabic.body)
    assert english.title.isascii() and english.body.isascii()
    assert "{" not in arabic.body + english.body + arabic.title + english.title


def test_staff_can_preview_every_template_with_the_built_in_sample() -> None:
    langs: tuple[Lang, ...] = ("ar", "en")
    for template in BY_ID.values():
        for lang in langs:
            assert "{" not in render_email(template, SAMPLE, lang, PUBLIC).text
    assert {"renewal_due", "survey_invited"} <= set(BY_ID)


def test_a_suggested_service_names_it_and_leads_to_the_requests_suggestions_in_both_languages() -> None:
    values = Personalisation(tracking_number="ROP-2026-000042-8", service="تجديد ملكية المركبة")
    arabic = render_inbox(SUGGESTION_OFFERED, values, "ar")
    english = render_inbox(SUGGESTION_OFFERED, values.model_copy(update={"service": "Renew a vehicle registration"}),
                           "en")
    sms = render_sms(SUGGESTION_OFFERED, values, "ar", PUBLIC)

    assert arabic.title == "خدمة قد تحتاجها بعد طلبك"
    assert "تجديد ملكية المركبة" in arabic.body and f"{LRI}ROP-2026-000042-8{PDI}" in arabic.body
    assert english.body.startswith("Many people who completed a request like yours, ROP-2026-000042-8, went on to "
                                   "request Renew a vehicle registration.")
    assert arabic.link == english.link == "/requests/ROP-2026-000042-8#suggestions"
    assert "تجديد ملكية المركبة" not in sms, "an SMS names no service"
    assert sms.endswith("https://portal.gov.om/requests/ROP-2026-000042-8#suggestions")
