"""One notification per event, delivered on one channel after another: statuses, retries, fallback.

A notification is what the citizen is told (it sits in their inbox); a delivery is one channel's attempt to
tell them (inbox, email, SMS), with its own status. Inbox deliveries are delivered as they are written; the
others wait in the database for the dispatcher, so they survive a restart.
"""

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

from services.notifications.domain.preferences import INBOX, Channel, Preferences
from services.notifications.domain.templates import (
    Kind,
    Lang,
    Personalisation,
    Template,
    render_email,
    render_inbox,
    render_sms,
)

DeliveryStatus = Literal["queued", "sent", "delivered", "failed_temporarily", "failed_permanently"]
# Still to be attempted (by the dispatcher, once due).
PENDING: tuple[DeliveryStatus, ...] = ("queued", "failed_temporarily")


class Notification(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    citizen: str
    kind: Kind
    channel: Channel
    lang: Lang
    title: str
    body: str
    link: str
    tracking_number: str
    created_at: datetime
    read_at: datetime | None = None
    event_id: str
    idempotency_key: str
    # What the other channels are rendered from, should a fallback need them later.
    template_id: str | None = None
    personalisation: Personalisation | None = None


class Delivery(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    notification_id: str
    citizen: str
    channel: Channel
    status: DeliveryStatus
    # One delivery per event and channel, ever.
    idempotency_key: str
    lang: Lang
    template_id: str
    template_version: int
    subject: str | None = None
    body_text: str | None = None
    body_html: str | None = None
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    provider_reference: str | None = None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None = None
    delivered_at: datetime | None = None


def idempotency_key(event_id: str, channel: Channel) -> str:
    return f"{event_id}:{channel}"


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    base_seconds: float
    cap_seconds: float


def backoff(attempt: int, policy: RetryPolicy, rand: Callable[[], float]) -> timedelta:
    """Exponential, capped, with equal jitter: half the step is fixed and half random, so that deliveries
    which failed together (a relay restart) do not all come back at the same instant."""
    step = min(policy.cap_seconds, policy.base_seconds * 2 ** max(attempt - 1, 0))
    return timedelta(seconds=step / 2 + rand() * step / 2)


@dataclass(frozen=True)
class Accepted:
    """The provider took the message (SMTP: sent); `delivered` when it says it reached the citizen."""

    reference: str | None = None
    delivered: bool = False


@dataclass(frozen=True)
class Refused:
    """It will never go through on this channel (an address the server refuses for good)."""

    reason: str


@dataclass(frozen=True)
class Failed:
    """It may go through later (4xx, a timeout, a provider down)."""

    reason: str


@dataclass(frozen=True)
class Deferred:
    """Not attempted now (breaker open, quiet hours): no attempt is counted."""

    until: datetime
    reason: str


Outcome = Accepted | Refused | Failed | Deferred


@dataclass(frozen=True)
class Attempted:
    """A delivery's state after one attempt; gave_up means it just failed permanently."""

    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    provider_reference: str | None
    sent_at: datetime | None
    delivered_at: datetime | None
    gave_up: bool = False


def after_attempt(delivery: Delivery, outcome: Outcome, now: datetime, policy: RetryPolicy,
                  rand: Callable[[], float]) -> Attempted:
    tried = delivery.attempts + 1

    def unsent(status: DeliveryStatus, attempts: int, next_attempt_at: datetime | None, error: str,
               gave_up: bool = False) -> Attempted:
        return Attempted(status, attempts, next_attempt_at, error, delivery.provider_reference, delivery.sent_at,
                         delivery.delivered_at, gave_up)

    match outcome:
        case Accepted(reference=reference, delivered=delivered):
            return Attempted("delivered" if delivered else "sent", tried, None, None, reference, now,
                             now if delivered else None)
        case Refused(reason=reason):
            return unsent("failed_permanently", tried, None, reason, gave_up=True)
        case Failed(reason=reason) if tried >= policy.max_attempts:
            return unsent("failed_permanently", tried, None, f"{reason} (gave up after {tried} attempts)",
                          gave_up=True)
        case Failed(reason=reason):
            return unsent("failed_temporarily", tried, now + backoff(tried, policy, rand), reason)
        case Deferred(until=until, reason=reason):
            return unsent(delivery.status, delivery.attempts, max(until, now), reason)
    raise AssertionError(f"unknown outcome {outcome!r}")


def next_channel(preferences: Preferences | None, tried: Iterable[Channel]) -> Channel | None:
    """The first channel the citizen allows, in their order, not yet tried for this notification."""
    if preferences is None:
        return None
    done = set(tried)
    return next((c for c in preferences.outside_inbox() if c not in done and preferences.address_for(c)), None)


def due_at(channel: Channel, preferences: Preferences, now: datetime) -> datetime:
    """Now, unless it is an SMS in the citizen's quiet hours: then when they end."""
    if channel == "sms" and preferences.quiet_hours is not None:
        return preferences.quiet_hours.ends_after(now) or now
    return now


def inbox_notification(*, event_id: str, citizen: str, template: Template, values: Personalisation, lang: Lang,
                       now: datetime) -> Notification:
    rendered = render_inbox(template, values, lang)
    return Notification(id=str(uuid.uuid4()), citizen=citizen, kind=template.kind, channel=INBOX, lang=lang,
                        title=rendered.title, body=rendered.body, link=rendered.link,
                        tracking_number=values.tracking_number, created_at=now, event_id=event_id,
                        idempotency_key=idempotency_key(event_id, INBOX), template_id=template.id,
                        personalisation=values)


def channel_delivery(notification: Notification, template: Template, channel: Channel, preferences: Preferences,
                     now: datetime, public_url: str) -> Delivery:
    """A delivery of `notification` on one channel, rendered now, due now (or when quiet hours end)."""
    values = notification.personalisation
    if values is None:
        raise ValueError("a notification without personalisation cannot be sent on another channel")
    if channel == INBOX:
        return inbox_delivery(notification, template, now)
    lang = notification.lang
    subject = html = None
    if channel == "email":
        content = render_email(template, values, lang, public_url)
        subject, text, html = content.subject, content.text, content.html
    else:
        text = render_sms(template, values, lang, public_url)
    return Delivery(id=str(uuid.uuid4()), notification_id=notification.id, citizen=notification.citizen,
                    channel=channel, status="queued", idempotency_key=idempotency_key(notification.event_id, channel),
                    lang=lang, template_id=template.id, template_version=template.version, subject=subject,
                    body_text=text, body_html=html, next_attempt_at=due_at(channel, preferences, now),
                    created_at=now, updated_at=now)


def inbox_delivery(notification: Notification, template: Template, now: datetime) -> Delivery:
    """The inbox entry is the notification itself: delivered as it is written."""
    return Delivery(id=str(uuid.uuid4()), notification_id=notification.id, citizen=notification.citizen,
                    channel=INBOX, status="delivered", idempotency_key=notification.idempotency_key,
                    lang=notification.lang, template_id=template.id, template_version=template.version, attempts=1,
                    created_at=now, updated_at=now, sent_at=now, delivered_at=now)


def plan_notification(*, event_id: str, citizen: str, template: Template, values: Personalisation, lang: Lang,
                      preferences: Preferences | None, now: datetime, public_url: str
                      ) -> tuple[Notification, list[Delivery]]:
    """The inbox entry, delivered at once, and the first other channel the citizen chose, queued."""
    notification = inbox_notification(event_id=event_id, citizen=citizen, template=template, values=values,
                                      lang=lang, now=now)
    deliveries = [inbox_delivery(notification, template, now)]
    first = next_channel(preferences, tried=[INBOX])
    if first is not None and preferences is not None:
        deliveries.append(channel_delivery(notification, template, first, preferences, now, public_url))
    return notification, deliveries
