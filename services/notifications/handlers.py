from dataclasses import dataclass

from services.notifications.domain import (
    NotFound,
    Notification,
    Preferences,
    choose_language,
    default_preferences,
    status_notification,
)
from services.notifications.store import NotificationsUnitOfWork
from shared.bus.dispatch import EventRouter, Inbound
from shared.contracts.requests import RequestStatusChanged
from shared.db import UnitOfWorkFactory, utcnow
from shared.logging import get_logger

log = get_logger(__name__)

STATUS_CONSUMER = "notifications.status"


@dataclass(frozen=True)
class Deps:
    uow: UnitOfWorkFactory[NotificationsUnitOfWork]


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
class NotificationPage:
    total: int
    unread: int
    items: list[Notification]


async def notify_status_change(message: Inbound[RequestStatusChanged], deps: Deps) -> None:
    event = message.event
    async with deps.uow() as uow:
        if not await uow.claim(message.id, STATUS_CONSUMER):
            log.info("status_change_already_notified", event_id=message.id)
            return
        preferred = await uow.preferences.get(event.citizen)
        lang = choose_language(preferred.lang if preferred else None, event.lang)
        notification = status_notification(event_id=message.id, citizen=event.citizen, lang=lang,
                                           status=event.status, tracking_number=event.tracking_number,
                                           service=event.service, note=event.note, now=utcnow())
        await uow.notifications.add(notification)
        await uow.commit()
    log.info("status_change_notified", event_id=message.id, notification_id=notification.id,
             tracking_number=event.tracking_number, status=event.status, lang=lang,
             channel=notification.channel)


async def mark_read(command: MarkRead, deps: Deps) -> Notification:
    async with deps.uow() as uow:
        await uow.notifications.mark_read(command.citizen, command.notification_id, utcnow())
        # Someone else's notification and an unknown one look the same, so ids cannot be probed.
        notification = await uow.notifications.get(command.citizen, command.notification_id)
        if notification is None:
            raise NotFound("notification-not-found", "No such notification in your inbox.")
        await uow.commit()
    return notification


async def mark_all_read(command: MarkAllRead, deps: Deps) -> int:
    async with deps.uow() as uow:
        marked = await uow.notifications.mark_all_read(command.citizen, utcnow())
        await uow.commit()
    log.info("notifications_marked_read", marked=marked)
    return marked


async def set_preferences(command: SetPreferences, deps: Deps) -> Preferences:
    async with deps.uow() as uow:
        await uow.preferences.put(command.citizen, command.preferences, utcnow())
        await uow.commit()
    log.info("preferences_saved", lang=command.preferences.lang, channels=command.preferences.channels)
    return command.preferences


async def find_preferences(citizen: str, fallback_lang: str, deps: Deps) -> Preferences:
    async with deps.uow(read_only=True) as uow:
        stored = await uow.preferences.get(citizen)
    return stored or default_preferences(fallback_lang)


async def list_notifications(citizen: str, deps: Deps, *, unread_only: bool = False, limit: int = 20,
                             offset: int = 0) -> NotificationPage:
    async with deps.uow(read_only=True) as uow:
        total, unread, items = await uow.notifications.page(citizen, unread_only, limit, offset)
    return NotificationPage(total=total, unread=unread, items=items)


def register(router: EventRouter) -> None:
    router.register(RequestStatusChanged, notify_status_change)
