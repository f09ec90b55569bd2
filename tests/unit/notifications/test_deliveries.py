"""What happens to a delivery after each attempt: sent, retried later with backoff, or given up and handed on."""

from datetime import UTC, datetime, time, timedelta

import pytest

from services.notifications.domain import (
    TEMPLATES,
    Accepted,
    Deferred,
    Delivery,
    Failed,
    Personalisation,
    Preferences,
    QuietHours,
    Refused,
    RetryPolicy,
    after_attempt,
    backoff,
    next_channel,
    plan_notification,
)

NOW = datetime(2025, 3, 10, 8, 0, tzinfo=UTC)  # 12:00 in Muscat
POLICY = RetryPolicy(max_attempts=4, base_seconds=10.0, cap_seconds=60.0)
VALUES = Personalisation(tracking_number="MOH-2025-000123-K", service="passport-renewal", note=None)
AISHA = Preferences(lang="ar", channels=["inbox", "email", "sms"], email="aisha@example.om", phone="+96891234567")


def half() -> float:
    return 0.5


def plan(preferences: Preferences | None = AISHA, now: datetime = NOW) -> list[Delivery]:
    _, deliveries = plan_notification(event_id="ev-1", citizen="12345678", template=TEMPLATES["approved"],
                                      values=VALUES, lang="ar", preferences=preferences, now=now,
                                      public_url="https://portal.gov.om")
    return deliveries


def create_delivery(attempts: int = 0, channel: str = "email") -> Delivery:
    [_, email, *_] = plan()
    return email.model_copy(update={"attempts": attempts, "channel": channel})


def test_a_notification_is_delivered_to_the_inbox_at_once_and_queued_on_the_first_chosen_channel() -> None:
    inbox, email = plan()

    assert (inbox.channel, inbox.status, inbox.next_attempt_at) == ("inbox", "delivered", None)
    assert (email.channel, email.status, email.next_attempt_at, email.attempts) == ("email", "queued", NOW, 0)
    assert email.idempotency_key == "ev-1:email"
    assert inbox.idempotency_key == "ev-1:inbox"
    assert email.subject == "تمت الموافقة على طلبك"
    assert email.body_html is not None and 'dir="rtl"' in email.body_html
    assert (email.template_id, email.template_version) == ("request_status.approved", 1)


def test_without_saved_preferences_only_the_inbox_is_told() -> None:
    assert [d.channel for d in plan(preferences=None)] == ["inbox"]


def test_an_sms_planned_in_quiet_hours_is_due_when_they_end() -> None:
    night = Preferences(lang="ar", channels=["inbox", "sms"], phone="+96891234567",
                        quiet_hours=QuietHours(start=time(11, 0), end=time(13, 30)))

    _, sms = plan(preferences=night)

    assert sms.status == "queued"
    assert sms.next_attempt_at == datetime(2025, 3, 10, 9, 30, tzinfo=UTC)
    assert sms.body_text is not None and "MOH-2025-000123-K" in sms.body_text


def test_an_accepted_email_is_sent_and_a_provider_that_confirms_makes_it_delivered() -> None:
    sent = after_attempt(create_delivery(), Accepted("<id@portal.gov.om>"), NOW, POLICY, half)
    delivered = after_attempt(create_delivery(), Accepted("sms-1", delivered=True), NOW, POLICY, half)

    assert (sent.status, sent.attempts, sent.sent_at, sent.delivered_at, sent.next_attempt_at) == (
        "sent", 1, NOW, None, None)
    assert sent.provider_reference == "<id@portal.gov.om>"
    assert (delivered.status, delivered.delivered_at) == ("delivered", NOW)


def test_a_temporary_failure_is_retried_later_with_growing_waits() -> None:
    waits = [after_attempt(create_delivery(attempts=n), Failed("smtp-451"), NOW, POLICY, half).next_attempt_at
             for n in range(3)]

    assert waits == [NOW + timedelta(seconds=7.5), NOW + timedelta(seconds=15), NOW + timedelta(seconds=30)]
    retried = after_attempt(create_delivery(), Failed("smtp-451"), NOW, POLICY, half)
    assert (retried.status, retried.last_error, retried.gave_up) == ("failed_temporarily", "smtp-451", False)


def test_backoff_is_capped_and_jittered_between_half_and_all_of_its_step() -> None:
    assert backoff(10, POLICY, lambda: 0.0) == timedelta(seconds=30)
    assert backoff(10, POLICY, lambda: 1.0) == timedelta(seconds=60)
    assert backoff(1, POLICY, lambda: 0.0) == timedelta(seconds=5)


def test_after_the_last_allowed_attempt_a_temporary_failure_is_permanent() -> None:
    last = after_attempt(create_delivery(attempts=3), Failed("smtp-451"), NOW, POLICY, half)

    assert (last.status, last.attempts, last.gave_up, last.next_attempt_at) == ("failed_permanently", 4, True, None)
    assert last.last_error == "smtp-451 (gave up after 4 attempts)"


def test_a_refusal_is_permanent_at_once() -> None:
    refused = after_attempt(create_delivery(), Refused("smtp-550-recipient"), NOW, POLICY, half)

    assert (refused.status, refused.attempts, refused.gave_up) == ("failed_permanently", 1, True)


def test_a_deferred_delivery_keeps_its_status_and_attempts_and_waits() -> None:
    later = NOW + timedelta(seconds=30)
    deferred = after_attempt(create_delivery(attempts=2), Deferred(later, "smtp-breaker-open"), NOW, POLICY, half)

    assert (deferred.status, deferred.attempts, deferred.next_attempt_at) == ("queued", 2, later)
    assert not deferred.gave_up


def test_the_next_channel_follows_the_citizens_order_and_skips_what_was_tried() -> None:
    sms_first = Preferences(lang="en", channels=["sms", "inbox", "email"], email="a@example.om",
                            phone="+96891234567")

    assert next_channel(AISHA, ["inbox"]) == "email"
    assert next_channel(AISHA, ["inbox", "email"]) == "sms"
    assert next_channel(AISHA, ["inbox", "email", "sms"]) is None
    assert next_channel(sms_first, ["inbox"]) == "sms"
    assert next_channel(None, ["inbox"]) is None


@pytest.mark.parametrize("channels", [["inbox"], ["inbox", "email"]])
def test_there_is_no_next_channel_when_the_citizen_allows_no_other(channels: list[str]) -> None:
    chosen = Preferences.model_validate({"lang": "ar", "channels": channels, "email": "a@example.om"})

    assert next_channel(chosen, ["inbox", "email"]) is None
