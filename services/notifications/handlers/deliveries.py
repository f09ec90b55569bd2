"""The dispatcher's side: taking due deliveries, recording what each attempt came to, falling back to the
citizen's next channel when one fails for good."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.notifications.domain import (
    BY_ID,
    INBOX,
    Attempted,
    Channel,
    Deferred,
    Delivery,
    Notification,
    Outcome,
    after_attempt,
    channel_delivery,
    next_channel,
)
from services.notifications.handlers.deps import DELIVERIES, Deps
from services.notifications.store import Claimed, NotificationsUnitOfWork
from shared.bus.topology import EVENTS
from shared.contracts.notifications import DeliveryFailed
from shared.logging import get_logger

log = get_logger(__name__)

DELIVERY_FAILED_KEY = "notifications.delivery.failed"


@dataclass(frozen=True)
class ClaimDue:
    channel: Channel
    limit: int
    lease_seconds: float


@dataclass(frozen=True)
class RecordAttempts:
    results: list[tuple[Claimed, Outcome]]


async def claim_due_deliveries(command: ClaimDue, deps: Deps) -> list[Claimed]:
    now = deps.clock()
    if deps.sole_dispatcher:
        # One process owns this database and one loop per channel takes its deliveries: reading them is
        # enough, and leaves the write lock to the writers (SQLite has one). Read in one hop, with no
        # connection of its own (UnitOfWork.read).
        return await deps.uow(read_only=True).deliveries.due(command.channel, now, command.limit)
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
    lost: list[Delivery] = []
    attempts = [(claimed, outcome, after_attempt(claimed.delivery, outcome, now, deps.retry, deps.rand))
                for claimed, outcome in command.results]

    async def write(uow: NotificationsUnitOfWork) -> None:
        held: set[str] = set()
        for lease_id in dict.fromkeys(claimed.lease_id for claimed, _, _ in attempts):
            held |= await uow.deliveries.record(lease_id, [(claimed.delivery.id, attempted) for claimed, _, attempted
                                                           in attempts if claimed.lease_id == lease_id], now)
        for claimed, outcome, attempted in attempts:
            delivery = claimed.delivery
            if delivery.id not in held:
                lost.append(delivery)
                continue
            fallback = await _give_up(uow, delivery, attempted, now, deps) if attempted.gave_up else None
            recorded.append((delivery, outcome, attempted, fallback))
        await uow.commit()

    # On SQLite the transaction runs whole in one worker thread (UnitOfWork.run): a hop, not three or four a
    # statement through aiosqlite.
    async with deps.uow().in_one_hop() as uow:
        await uow.run(write)
    for delivery in lost:
        log.warning("delivery_lease_lost", delivery=delivery.id, channel=delivery.channel)
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


async def delivery_counts(deps: Deps) -> list[tuple[str, str, int]]:
    async with deps.uow(read_only=True) as uow:
        return await uow.deliveries.counts()
