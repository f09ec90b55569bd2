"""What a citizen reads when a request moves: the right words, in the right language, readable in RTL."""

import re
from datetime import UTC, datetime
from typing import get_args

import pytest
from pydantic import ValidationError

from services.notifications.domain import (
    FSI,
    LRI,
    PDI,
    Lang,
    Preferences,
    Rendered,
    choose_language,
    default_preferences,
    render_status_change,
    status_notification,
)
from shared.contracts.requests import Status

TRACKING = "MOH-2025-000123-K"
ARABIC_LETTER = re.compile("[\u0621-\u064a]")


def render(status: Status, lang: Lang, note: str | None = None, tracking_number: str = TRACKING,
           service: str = "passport-renewal") -> Rendered:
    return render_status_change(status=status, tracking_number=tracking_number, service=service, note=note,
                                lang=lang)


def test_an_approved_request_is_announced_in_arabic_with_its_tracking_number() -> None:
    rendered = render("approved", "ar")

    assert rendered.title == "تمت الموافقة على طلبك"
    assert f"{LRI}{TRACKING}{PDI}" in rendered.body
    assert "تمت الموافقة" in rendered.body
    assert rendered.link == f"/requests/{TRACKING}"


def test_the_tracking_number_and_service_are_isolated_inside_arabic_text() -> None:
    rendered = render("received", "ar")

    assert f"{LRI}{TRACKING}{PDI}" in rendered.body
    # The service is a title in the citizen's language or a slug: it takes the direction it starts with.
    assert f"{FSI}passport-renewal{PDI}" in rendered.body
    assert rendered.body.count(LRI) == 1
    assert rendered.body.count(FSI) == 1
    assert rendered.body.count(PDI) == 2


def test_an_arabic_service_title_keeps_its_own_direction_inside_the_sentence() -> None:
    rendered = render("approved", "ar", service="تجديد جواز السفر")

    assert f"{FSI}تجديد جواز السفر{PDI}" in rendered.body


def test_english_text_carries_the_tracking_number_without_isolates() -> None:
    rendered = render("received", "en")

    assert f"request {TRACKING} for passport-renewal" in rendered.body
    assert LRI not in rendered.body


def test_the_ministry_note_is_included_when_action_is_required() -> None:
    note = "يرجى إرفاق صورة جواز السفر"

    arabic = render("action_required", "ar", note=note)
    english = render("action_required", "en", note="Please attach a passport photo")

    assert arabic.title == "مطلوب إجراء منك"
    assert "ملاحظة الجهة المختصة:" in arabic.body
    assert note in arabic.body
    assert english.title == "Action is required from you"
    assert "Note from the ministry: \u2068Please attach a passport photo\u2069" in english.body


def test_no_note_line_is_written_when_the_ministry_left_no_note() -> None:
    for note in (None, "", "   "):
        rendered = render("in_review", "en", note=note)
        assert "Note" not in rendered.body


def test_a_note_cannot_break_out_of_its_isolate_with_its_own_bidi_controls() -> None:
    rendered = render("rejected", "ar", note="\u2069\u202eevil")

    assert "\u202e" not in rendered.body
    assert rendered.body.endswith("\u2068evil\u2069")


def test_english_is_used_when_the_citizen_prefers_it() -> None:
    lang = choose_language("en", "ar")
    rendered = render("completed", lang)

    assert lang == "en"
    assert rendered.title == "Your request is complete"
    assert not ARABIC_LETTER.search(rendered.title + rendered.body)


def test_the_language_of_the_request_is_used_when_the_citizen_has_no_preference() -> None:
    assert choose_language(None, "en") == "en"
    assert choose_language(None, "ar") == "ar"


@pytest.mark.parametrize("status", get_args(Status))
def test_every_status_has_a_template_in_both_languages(status: Status) -> None:
    arabic = render(status, "ar")
    english = render(status, "en")

    assert ARABIC_LETTER.search(arabic.title) and ARABIC_LETTER.search(arabic.body)
    assert english.title.isascii() and english.body.isascii()
    assert TRACKING in arabic.body and TRACKING in english.body
    assert "{" not in arabic.body + english.body


def test_each_status_reads_differently() -> None:
    titles = {render(s, "ar").title for s in get_args(Status)}

    assert len(titles) == len(get_args(Status))


@pytest.mark.parametrize(("status", "title"), [
    ("received", "تم استلام طلبك"),
    ("in_review", "طلبك قيد المراجعة"),
    ("rejected", "تم رفض طلبك"),
    ("completed", "اكتمل طلبك"),
    ("cancelled", "تم إلغاء طلبك"),
])
def test_arabic_titles_say_what_happened(status: Status, title: str) -> None:
    assert render(status, "ar").title == title


def test_the_status_name_is_given_in_the_chosen_language() -> None:
    arabic = render("in_review", "ar")
    english = render("in_review", "en")

    assert arabic.body.endswith("الحالة: قيد المراجعة.")
    assert english.body.endswith("Status: In review.")


def test_the_link_escapes_a_tracking_number_that_is_not_url_safe() -> None:
    rendered = render("received", "en", tracking_number="A/B 1")

    assert rendered.link == "/requests/A%2FB%201"


def test_a_status_notification_goes_to_the_inbox_keyed_by_its_event() -> None:
    now = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    notification = status_notification(event_id="ev-1", citizen="12345678", lang="ar", status="approved",
                                       tracking_number=TRACKING, service="visa", note=None, now=now)

    assert notification.channel == "inbox"
    assert notification.kind == "request_status"
    assert notification.idempotency_key == "ev-1:inbox"
    assert notification.read_at is None
    assert notification.created_at == now


def test_the_inbox_cannot_be_switched_off() -> None:
    with pytest.raises(ValidationError, match="inbox is always on"):
        Preferences.model_validate({"lang": "en", "channels": ["email", "sms"]})


def test_an_unknown_channel_is_refused() -> None:
    with pytest.raises(ValidationError):
        Preferences.model_validate({"lang": "en", "channels": ["inbox", "pigeon"]})


def test_a_channel_named_twice_is_kept_once() -> None:
    chosen = Preferences.model_validate({"lang": "ar", "channels": ["inbox", "sms", "inbox"],
                                         "phone": "+96891234567"})

    assert chosen.channels == ["inbox", "sms"]


def test_without_saved_preferences_only_the_inbox_is_on_in_the_citizens_language() -> None:
    assert default_preferences("en") == Preferences(lang="en", channels=["inbox"])
    assert default_preferences("fr").lang == "ar"
