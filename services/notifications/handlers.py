import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from prometheus_client import Counter

from services.notifications.domain import (
    BY_ID,
    INBOX,
    RENEWAL_DUE,
    SAMPLE,
    SUGGESTION_OFFERED,
    SURVEY_INVITED,
    TEMPLATES,
    Attempted,
    Channel,
    Deferred,
    Delivery,
    Lang,
    NotFound,
    Notification,
    Outcome,
    Personalisation,
    Preferences,
    RetryPolicy,
    Template,
    after_attempt,
    channel_delivery,
    choose_language,
    default_preferences,
    in_lang,
    next_channel,
    plan_notification,
    render_email,
    render_inbox,
    render_sms,
)
from services.notifications.store import Claimed, DeliveryState, NotificationsUnitOfWork
from shared.bus.dispatch import BatchRouter, Inbound
from shared.bus.topology import EVENTS
from shared.contracts.base import Bilingual
from shared.contracts.notifications import DeliveryFailed
from shared.contracts.requests import RenewalDue, RequestStatusChanged, SuggestionOffered, SurveyInvited
from shared.db import UnitOfWorkFactory, utcnow
from shared.logging import get_logger

log = get_logger(__name__)

STATUS_CONSUMER = "notifications.status"
RENEWAL_CONSUMER = "notifications.renewal"
SURVEY_CONSUMER = "notifications.survey"
SUGGESTION_CONSUMER = "notifications.suggestion"
DELIVERY_FAILED_KEY = "notifications.delivery.failed"
DELIVERIES = Counter("portal_notifications_deliveries_total", "Delivery attempts by channel and resulting status",
                     ["channel", "status"])


class ServiceTitles(Protocol):
    async def title(self, slug: str) -> Bilingual | None: ...

    async def close(self) -> None: ...


class SlugsOnly:
    """No catalogue configured: messages name the service by its slug."""

    async def title(self, slug: str) -> Bilingual | None:
        return None

    async def close(self) -> None:
        return None


DEFAULT_RETRY = RetryPolicy(max_attempts=6, base_seconds=30.0, cap_seconds=3600.0)


def _nobody_to_wake(_: Channel) -> None:
    return None


@dataclass(frozen=True)
class Deps:
    uow: UnitOfWorkFactory[NotificationsUnitOfWork]
    titles: ServiceTitles = field(default_factory=SlugsOnly)
    public_url: str = "http://127.0.0.1:8000"
    retry: RetryPolicy = DEFAULT_RETRY
    # Tells the dispatcher a delivery on this channel is waiting, so it need not wait for its next poll.
    wake: Callable[[Channel], None] = _nobody_to_wake
    clock: Callable[[], datetime] = utcnow
    rand: Callable[[], float] = random.random
    # True when this process is the only one dispatching from its database (SQLite): due deliveries are
    # then read rather than leased.
    sole_dispatcher: bool = False


@dataclass(frozen=True)
class MarkRead:
    citizen: str
    notification_id: str


@dataclass(frozen=True)
class MarkAllRead:
    citizen: str


@dataclass(frozen=True)
class SetPreferences:
    citizen: str
    preferences: Preferences


@dataclass(frozen=True)
class Occurrence:
    """Something a citizen is to be told about, from whichever event: the inbox entry plus their channels."""

    event_id: str
    consumer: str
    citizen: str
    request_lang: Lang
    template: Template
    service: str
    values: Personalisation


@dataclass(frozen=True)
class ClaimDue:
    channel: Channel
    limit: int
    lease_seconds: float


@dataclass(frozen=True)
class RecordAttempts:
    results: list[tuple[Claimed, Outcome]]


@dataclass(frozen=True)
class PreviewTemplate:
    template_id: str
    lang: Lang
    channel: Channel
    values: Personalisation | None = None


@dataclass(frozen=True)
class Preview:
    template: Template
    lang: Lang
    channel: Channel
    subject: str | None
    text: str
    html: str | None


@dataclass(frozen=True)
class NotificationPage:
    total: int
    unread: int
    items: list[Notification]
    deliveries: dict[str, list[DeliveryState]]


def status_changed(message: Inbound[RequestStatusChanged]) -> Occurrence:
    event = message.event
    return Occurrence(
        event_id=message.id, consumer=STATUS_CONSUMER, citizen=event.citizen, request_lang=event.lang,
        template=TEMPLATES[event.status], service=event.service,
        values=Personalisation(tracking_number=event.tracking_number, service=event.service, note=event.note))


def renewal_due(message: Inbound[RenewalDue]) -> Occurrence:
    event = message.event
    return Occurrence(
        event_id=message.id, consumer=RENEWAL_CONSUMER, citizen=event.citizen, request_lang=event.lang,
        template=RENEWAL_DUE, service=event.service,
        values=Personalisation(service=event.service, document_type=event.document_type,
                               document_number=event.document_number, expires_on=event.expires_on.isoformat()))


def survey_invited(message: Inbound[SurveyInvited]) -> Occurrence:
    event = message.event
    return Occurrence(
        event_id=message.id, consumer=SURVEY_CONSUMER, citizen=event.citizen, request_lang=event.lang,
        template=SURVEY_INVITED, service=event.service,
        values=Personalisation(tracking_number=event.tracking_number, service=event.service))


def suggestion_offered(message: Inbound[SuggestionOffered]) -> Occurrence:
    event = message.event
    return Occurrence(
        event_id=message.id, consumer=SUGGESTION_CONSUMER, citizen=event.citizen, request_lang=event.lang,
        template=SUGGESTION_OFFERED, service=event.service,
        values=Personalisation(tracking_number=event.tracking_number, service=event.service))


async def queue_notifications(occurrences: list[Occurrence], deps: Deps) -> list[Notification | None]:
    """For each event, the inbox entry, delivered at once, and the citizen's first other channel, queued for the
    dispatcher; nothing for an event handled before (None in its place). One transaction for them all (one
    commit, one fsync on SQLite, where one per event was the e-mail line's limit): each event's inbox row,
    notification and deliveries are written together with the others', or none are."""
    # Asked before the transaction: the catalogue is never awaited while the database is held.
    titles = {service: await deps.titles.title(service) for service in {o.service for o in occurrences}}
    queued: list[tuple[Occurrence, Notification, list[Delivery], Lang] | None] = []
    async with deps.uow() as uow:
        fresh = []
        for occurrence in occurrences:
            claimed = await uow.claim(occurrence.event_id, occurrence.consumer)
            if not claimed:
                log.info("notification_already_queued", event_id=occurrence.event_id)
            fresh.append(claimed)
        # The batch's preferences in one query and its rows in one statement per table: a statement per row
        # was most of the CPU an e-mail cost.
        chosen = await uow.preferences.get_many({o.citizen for o, new in zip(occurrences, fresh, strict=True)
                                                 if new})
        for occurrence, new in zip(occurrences, fresh, strict=True):
            if not new:
                queued.append(None)
                continue
            preferences = chosen.get(occurrence.citizen)
            lang = choose_language(preferences.lang if preferences else None, occurrence.request_lang)
            title = titles[occurrence.service]
            values = occurrence.values.model_copy(update={"service": in_lang(title, lang)}) if title \
                else occurrence.values
            notification, planned = plan_notification(
                event_id=occurrence.event_id, citizen=occurrence.citizen, template=occurrence.template,
                values=values, lang=lang, preferences=preferences, now=deps.clock(), public_url=deps.public_url)
            queued.append((occurrence, notification, planned, lang))
        written = [entry for entry in queued if entry is not None]
        await uow.notifications.add(*(notification for _, notification, _, _ in written))
        await uow.deliveries.add_batch([delivery for _, _, planned, _ in written for delivery in planned])
        await uow.commit()
    for entry in queued:
        if entry is not None:
            _queued(*entry, deps)
    return [entry[1] if entry is not None else None for entry in queued]


def _queued(occurrence: Occurrence, notification: Notification, planned: list[Delivery], lang: Lang,
            deps: Deps) -> None:
    channels = [d.channel for d in planned if d.channel != INBOX]
    log.info("notification_queued", event_id=occurrence.event_id, notification_id=notification.id,
             template=occurrence.template.id, version=occurrence.template.version, lang=lang, channels=channels)
    for delivery in planned:
        DELIVERIES.labels(delivery.channel, delivery.status).inc()
    for channel in channels:
        deps.wake(channel)


async def claim_due_deliveries(command: ClaimDue, deps: Deps) -> list[Claimed]:
    now = deps.clock()
    if deps.sole_dispatcher:
        # One process owns this database and one loop per channel takes its deliveries: reading them is
        # enough, and leaves the write lock to the writers (SQLite has one).
        async with deps.uow(read_only=True) as uow:
            return await uow.deliveries.due(command.channel, now, command.limit)
    async with deps.uow() as uow:
        claimed = await uow.deliveries.claim_due(command.channel, now, command.limit,
                                                 now + timedelta(seconds=command.lease_seconds), str(uuid.uuid4()))
        await uow.commit()
    return claimed


async def record_attempts(command: RecordAttempts, deps: Deps) -> None:
    """Write what each attempt came to; a delivery that failed for good publishes DeliveryFailed and hands
    the notification to the citizen's next channel, in the same transaction."""
    now = deps.clock()
    recorded: list[tuple[Delivery, Outcome, Attempted, Channel | None]] = []
    attempts = [(claimed, outcome, after_attempt(claimed.delivery, outcome, now, deps.retry, deps.rand))
                for claimed, outcome in command.results]
    async with deps.uow() as uow:
        held: set[str] = set()
        for lease_id in dict.fromkeys(claimed.lease_id for claimed, _, _ in attempts):
            held |= await uow.deliveries.record(lease_id, [(claimed.delivery.id, attempted) for claimed, _, attempted
                                                           in attempts if claimed.lease_id == lease_id], now)
        for claimed, outcome, attempted in attempts:
            delivery = claimed.delivery
            if delivery.id not in held:
                log.warning("delivery_lease_lost", delivery=delivery.id, channel=delivery.channel)
                continue
            fallback = await _give_up(uow, delivery, attempted, now, deps) if attempted.gave_up else None
            recorded.append((delivery, outcome, attempted, fallback))
        await uow.commit()
    for delivery, outcome, attempted, fallback in recorded:
        if isinstance(outcome, Deferred):
            log.debug("delivery_deferred", delivery=delivery.id, channel=delivery.channel, reason=outcome.reason,
                      until=attempted.next_attempt_at)
            continue
        DELIVERIES.labels(delivery.channel, attempted.status).inc()
        log.info("delivery_attempted", delivery=delivery.id, notification_id=delivery.notification_id,
                 channel=delivery.channel, status=attempted.status, attempts=attempted.attempts,
                 reason=attempted.last_error, fallback=fallback)
        if fallback is not None:
            deps.wake(fallback)


async def _give_up(uow: NotificationsUnitOfWork, failed: Delivery, attempted: Attempted, now: datetime,
                   deps: Deps) -> Channel | None:
    """Hand the notification to the citizen's next channel, if any, and tell operators; returns that channel."""
    notification = await uow.notifications.by_id(failed.notification_id)
    if notification is None:
        return None
    fallback = await _fall_back(uow, notification, now, deps)
    if failed.channel != INBOX:
        await uow.publish(DeliveryFailed(
            notification_id=notification.id, delivery_id=failed.id, source_event_id=notification.event_id,
            kind=notification.kind, tracking_number=notification.tracking_number or None, channel=failed.channel,
            reason=attempted.last_error or "unknown", attempts=attempted.attempts,
            fallback_channel=fallback if fallback != INBOX else None, failed_at=now),
            exchange=EVENTS, routing_key=DELIVERY_FAILED_KEY, subject=notification.tracking_number or None)
    return fallback


async def _fall_back(uow: NotificationsUnitOfWork, notification: Notification, now: datetime,
                     deps: Deps) -> Channel | None:
    template = BY_ID.get(notification.template_id or "")
    if template is None or notification.personalisation is None:
        return None
    tried = [d.channel for d in await uow.deliveries.of_notification(notification.id)]
    preferences = await uow.preferences.get(notification.citizen)
    channel = next_channel(preferences, tried)
    if channel is None or preferences is None:
        return None
    added = await uow.deliveries.add(channel_delivery(notification, template, channel, preferences, now,
                                                      deps.public_url))
    return channel if added else None


async def mark_read(command: MarkRead, deps: Deps) -> tuple[Notification, list[DeliveryState]]:
    async with deps.uow() as uow:
        await uow.notifications.mark_read(command.citizen, command.notification_id, deps.clock())
        # Someone else's notification and an unknown one look the same, so ids cannot be probed.
        notification = await uow.notifications.get(command.citizen, command.notification_id)
        if notification is None:
            raise NotFound("notification-not-found", "No such notification in your inbox.")
        states = await uow.deliveries.of_notifications([notification.id])
        await uow.commit()
    return notification, states


async def mark_all_read(command: MarkAllRead, deps: Deps) -> int:
    async with deps.uow() as uow:
        marked = await uow.notifications.mark_all_read(command.citizen, deps.clock())
        await uow.commit()
    log.info("notifications_marked_read", marked=marked)
    return marked


async def set_preferences(command: SetPreferences, deps: Deps) -> Preferences:
    async with deps.uow() as uow:
        await uow.preferences.put(command.citizen, command.preferences, deps.clock())
        await uow.commit()
    chosen = command.preferences
    # Which details are on file, never the details themselves.
    on_file = [name for name, value in (("email", chosen.email), ("phone", chosen.phone)) if value is not None]
    log.info("preferences_saved", lang=chosen.lang, channels=chosen.channels, contact_details=on_file,
             quiet_hours=chosen.quiet_hours is not None)
    return chosen


async def find_preferences(citizen: str, fallback_lang: str, deps: Deps) -> Preferences:
    async with deps.uow(read_only=True) as uow:
        stored = await uow.preferences.get(citizen)
    return stored or default_preferences(fallback_lang)


async def list_notifications(citizen: str, deps: Deps, *, unread_only: bool = False, limit: int = 20,
                             offset: int = 0) -> NotificationPage:
    async with deps.uow(read_only=True) as uow:
        total, unread, items = await uow.notifications.page(citizen, unread_only, limit, offset)
        states = await uow.deliveries.of_notifications([n.id for n in items])
    by_notification: dict[str, list[DeliveryState]] = {n.id: [] for n in items}
    for state in states:
        by_notification[state.notification_id].append(state)
    return NotificationPage(total=total, unread=unread, items=items, deliveries=by_notification)


def list_templates() -> list[Template]:
    return sorted(BY_ID.values(), key=lambda t: t.id)


def preview_template(command: PreviewTemplate, deps: Deps) -> Preview:
    template = BY_ID.get(command.template_id)
    if template is None:
        raise NotFound("template-not-found", "No such template.")
    values, lang = command.values or SAMPLE, command.lang
    if command.channel == "email":
        email = render_email(template, values, lang, deps.public_url)
        return Preview(template, lang, "email", email.subject, email.text, email.html)
    if command.channel == "sms":
        return Preview(template, lang, "sms", None, render_sms(template, values, lang, deps.public_url), None)
    inbox = render_inbox(template, values, lang)
    return Preview(template, lang, INBOX, inbox.title, inbox.body, None)


async def delivery_counts(deps: Deps) -> list[tuple[str, str, int]]:
    async with deps.uow(read_only=True) as uow:
        return await uow.deliveries.counts()


def request_events(deps: Deps) -> BatchRouter[Occurrence]:
    """What the requests service's events come to: notifications queued in batches, one transaction each."""
    router = BatchRouter(deps, queue_notifications)
    router.register(RequestStatusChanged, status_changed)
    router.register(RenewalDue, renewal_due)
    router.register(SurveyInvited, survey_invited)
    router.register(SuggestionOffered, suggestion_offered)
    return router
