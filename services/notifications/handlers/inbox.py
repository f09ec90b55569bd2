"""A citizen's inbox: reading it, marking what was read."""

from dataclasses import dataclass

from services.notifications.domain import NotFound, Notification
from services.notifications.handlers.deps import Deps
from services.notifications.store import DeliveryState
from shared.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class MarkRead:
    citizen: str
    notification_id: str


@dataclass(frozen=True)
class MarkAllRead:
    citizen: str


@dataclass(frozen=True)
class NotificationPage:
    total: int
    unread: int
    items: list[Notification]
    deliveries: dict[str, list[DeliveryState]]


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


async def list_notifications(citizen: str, deps: Deps, *, unread_only: bool = False, limit: int = 20,
                             offset: int = 0) -> NotificationPage:
    async with deps.uow(read_only=True) as uow:
        total, unread, items = await uow.notifications.page(citizen, unread_only, limit, offset)
        states = await uow.deliveries.of_notifications([n.id for n in items])
    by_notification: dict[str, list[DeliveryState]] = {n.id: [] for n in items}
    for state in states:
        by_notification[state.notification_id].append(state)
    return NotificationPage(total=total, unread=unread, items=items, deliveries=by_notification)
