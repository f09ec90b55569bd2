"""The requests service's events (a status change, a renewal due, a survey, a suggestion): each becomes an inbox
notification, delivered at once, and a delivery on the citizen's first other channel, queued for the dispatcher."""

import functools
from dataclasses import dataclass

from services.notifications.domain import (
    INBOX,
    RENEWAL_DUE,
    SUGGESTION_OFFERED,
    SURVEY_INVITED,
    TEMPLATES,
    Delivery,
    Lang,
    Notification,
    Personalisation,
    Template,
    choose_language,
    in_lang,
    plan_notification,
)
from services.notifications.handlers.deps import DELIVERIES, Deps
from services.notifications.store import NotificationsUnitOfWork
from shared.bus.dispatch import BatchRouter, Inbound
from shared.contracts.base import Bilingual
from shared.contracts.requests import RenewalDue, RequestStatusChanged, SuggestionOffered, SurveyInvited
from shared.logging import get_logger

log = get_logger(__name__)

STATUS_CONSUMER = "notifications.status"
RENEWAL_CONSUMER = "notifications.renewal"
SURVEY_CONSUMER = "notifications.survey"
SUGGESTION_CONSUMER = "notifications.suggestion"


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
    # On SQLite the transaction runs whole in one worker thread: through aiosqlite its five statements, BEGIN and
    # COMMIT were about twenty hops between threads, most of the CPU an event cost.
    async with deps.uow().in_one_hop() as uow:
        queued = await uow.run(functools.partial(_write_notifications, occurrences=occurrences, titles=titles,
                                                 deps=deps))
    for occurrence, entry in zip(occurrences, queued, strict=True):
        if entry is None:
            log.info("notification_already_queued", event_id=occurrence.event_id)
        else:
            _queued(occurrence, *entry, deps)
    return [entry[0] if entry is not None else None for entry in queued]


async def _write_notifications(uow: NotificationsUnitOfWork, occurrences: list[Occurrence],
                               titles: dict[str, Bilingual | None], deps: Deps
                               ) -> list[tuple[Notification, list[Delivery], Lang] | None]:
    """The batch's inbox rows, notifications and deliveries, committed; None for an event handled before. It
    awaits nothing but the unit of work's statements (UnitOfWork.run)."""
    claimed = await uow.handled.claim([(o.event_id, o.consumer) for o in occurrences], deps.clock())
    fresh = []
    for occurrence in occurrences:
        # An event twice in one batch is queued once, for its first copy.
        key = (occurrence.event_id, occurrence.consumer)
        fresh.append(key in claimed)
        claimed.discard(key)
    # The batch's preferences in one query and its rows in one statement per table: a statement per row
    # was most of the CPU an e-mail cost.
    chosen = await uow.preferences.get_many({o.citizen for o, new in zip(occurrences, fresh, strict=True) if new})
    queued: list[tuple[Notification, list[Delivery], Lang] | None] = []
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
        queued.append((notification, planned, lang))
    written = [entry for entry in queued if entry is not None]
    await uow.notifications.add(*(notification for notification, _, _ in written))
    await uow.deliveries.add_batch([delivery for _, planned, _ in written for delivery in planned])
    await uow.commit()
    return queued


def _queued(occurrence: Occurrence, notification: Notification, planned: list[Delivery], lang: Lang,
            deps: Deps) -> None:
    channels = [d.channel for d in planned if d.channel != INBOX]
    log.info("notification_queued", event_id=occurrence.event_id, notification_id=notification.id,
             template=occurrence.template.id, version=occurrence.template.version, lang=lang, channels=channels)
    for delivery in planned:
        DELIVERIES.labels(delivery.channel, delivery.status).inc()
    for channel in channels:
        deps.wake(channel)


def request_events(deps: Deps) -> BatchRouter[Occurrence]:
    """What the requests service's events come to: notifications queued in batches, one transaction each."""
    router = BatchRouter(deps, queue_notifications)
    router.register(RequestStatusChanged, status_changed)
    router.register(RenewalDue, renewal_due)
    router.register(SurveyInvited, survey_invited)
    router.register(SuggestionOffered, suggestion_offered)
    return router
