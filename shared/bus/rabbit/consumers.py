"""Consuming from RabbitMQ: ack after the handler (in runs, in order), retries in place, dead letters with a
reason, and operators' draining of a queue."""

import asyncio
import collections
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue, AbstractRobustConnection
from aio_pika.exceptions import ChannelNotFoundEntity
from aiormq.exceptions import ChannelAccessRefused
from prometheus_client import Counter

from shared.bus.acks import RunningAcks
from shared.bus.envelope import Envelope, MalformedEnvelope
from shared.bus.ports import (
    AccessRefused,
    BatchHandler,
    Consumer,
    Delivery,
    Handler,
    PublishFailed,
    QueueMissing,
    RawDelivery,
    RawHandler,
    apply_batch_in_place,
    apply_in_place,
    dead_letter_headers,
    origin_of,
)
from shared.bus.rabbit.connection import connect, declare_queue
from shared.bus.topology import DEAD_LETTERS, QueueSpec
from shared.logging import get_logger
from shared.tracing import consuming

log = get_logger(__name__)

CONSUMED = Counter("portal_bus_consumed_total", "Messages handled and acked", ["queue"])
DEAD_LETTERED = Counter("portal_bus_dead_lettered_total", "Messages sent to dead letters", ["queue"])
HINTS_DROPPED = Counter("portal_bus_hints_dropped_total",
                        "Deliveries consumed without acks dropped unhandled, the oldest of a full backlog", ["queue"])

PublishRaw = Callable[..., Awaitable[None]]
# Each queue's child of CONSUMED, looked up once: labels() takes a lock and builds a key for every message.
_CONSUMED_FROM: dict[str, Any] = {}


def _dropped(queue: str) -> Any:
    return HINTS_DROPPED.labels(queue)


def _consumed(queue: str) -> Any:
    counter = _CONSUMED_FROM.get(queue)
    if counter is None:
        counter = _CONSUMED_FROM[queue] = CONSUMED.labels(queue)
    return counter


class _RabbitConsumer(Consumer):
    def __init__(self, channel: AbstractChannel, queue: AbstractQueue, tag: str, in_order: asyncio.Lock,
                 acks: RunningAcks | None = None) -> None:
        self._channel, self._queue, self._tag, self._in_order = channel, queue, tag, in_order
        self._acks = acks

    async def cancel(self) -> None:
        """No new deliveries; the message being handled finishes (bounded) before the channel closes."""
        try:
            await self._queue.cancel(self._tag)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(10):
                    await self._in_order.acquire()
            if self._acks is not None:
                await self._acks.flush()
        finally:
            await self._channel.close()

    async def bind(self, exchange: str, routing_key: str) -> None:
        # The robust queue keeps what it bound, and binds it again after a reconnect.
        await self._queue.bind(exchange, routing_key)

    async def unbind(self, exchange: str, routing_key: str) -> None:
        await self._queue.unbind(exchange, routing_key)


class Consumers:
    def __init__(self, url: str, name: str, publish_raw: PublishRaw, *, dead_letters_by_broker: bool) -> None:
        """publish_raw: how a dead letter is published (the bus's publisher, with its confirms)."""
        self._url, self._name, self._publish_raw = url, name, publish_raw
        self._broker_dead_letters = dead_letters_by_broker
        self._connection: AbstractRobustConnection | None = None

    async def start(self) -> None:
        self._connection = await connect(self._url, self._name, "consuming")

    async def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.close()
        self._connection = None

    def is_ready(self) -> bool:
        return self._connection is not None and not self._connection.is_closed

    async def consume(self, queue: QueueSpec, handler: Handler, *, prefetch: int = 32,
                      passive: bool = False, acknowledged: bool = True) -> Consumer:
        channel = await self._channel_for_consuming(prefetch)
        # One message at a time per queue keeps a ministry's events in the order it sent them;
        # parallelism comes from one queue per ministry, not from reordering within one.
        in_order = asyncio.Lock()
        if not acknowledged:
            # Without acks the prefetch no longer holds deliveries back at the broker: at most `prefetch` wait here,
            # and a full backlog drops its oldest, as the queue's drop-head would have.
            waiting: collections.deque[AbstractIncomingMessage] = collections.deque(maxlen=prefetch)

            async def on_hint(message: AbstractIncomingMessage) -> None:
                if len(waiting) == waiting.maxlen:
                    _dropped(queue.name).inc()
                waiting.append(message)
                if in_order.locked():
                    return  # the task holding it takes this one too
                async with in_order:
                    while waiting:
                        await self._apply_unacknowledged(queue, waiting.popleft(), handler)

            return await self._subscribe(channel, queue, on_hint, in_order, passive=passive, no_ack=True)
        # Half the prefetch: the broker's window never runs dry while a run of acks is held back.
        acks = RunningAcks(max(prefetch // 2, 1))

        async def on_message(message: AbstractIncomingMessage) -> None:
            acks.received(message)
            try:
                async with in_order:
                    handled = await self._handle(queue.name, message, handler, queue.delivery_limit)
            except BaseException:
                acks.abandoned(message)
                raise
            # The effect is committed, so the next message may start before this ack is written.
            await acks.done(message, handled=handled)

        return await self._subscribe(channel, queue, on_message, in_order, passive=passive, acks=acks)

    async def consume_in_batches(self, queue: QueueSpec, handler: BatchHandler, *, prefetch: int = 32,
                                 linger: float = 0.0) -> Consumer:
        channel = await self._channel_for_consuming(prefetch)
        in_order = asyncio.Lock()
        acks = RunningAcks(max(prefetch // 2, 1))
        # Delivered and not yet taken into a batch, in delivery order; whoever holds the lock takes them all.
        waiting: list[AbstractIncomingMessage] = []
        # Set when the prefetch is waiting: a lingering batch can grow no more.
        full = asyncio.Event()

        async def on_message(message: AbstractIncomingMessage) -> None:
            acks.received(message)
            waiting.append(message)
            if len(waiting) >= prefetch:
                full.set()
            async with in_order:
                if linger and waiting and not full.is_set():
                    # The acks held back from the last batch go first, or the broker's window stays short of them.
                    await acks.flush()
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(linger):
                            await full.wait()
                full.clear()
                batch = waiting[:]
                waiting.clear()
                try:
                    handled = await self._handle_batch(queue, batch, handler)
                except BaseException:
                    for taken in batch:
                        acks.abandoned(taken)
                    raise
            for taken, applied in zip(batch, handled, strict=True):
                await acks.done(taken, handled=applied)

        return await self._subscribe(channel, queue, on_message, in_order, passive=False, acks=acks)

    async def _handle_batch(self, queue: QueueSpec, messages: list[AbstractIncomingMessage],
                            handler: BatchHandler) -> list[bool]:
        """For each message, True when it was applied and is to be acked (else it was dead-lettered)."""
        applied = [False] * len(messages)
        parsed: list[tuple[int, Delivery]] = []
        for index, message in enumerate(messages):
            headers = dict(message.headers or {})
            try:
                envelope = Envelope.from_body(message.body)
            except MalformedEnvelope as exc:
                await self._dead_letter(queue.name, message, str(exc))
                continue
            parsed.append((index, _delivery(queue.name, message, headers, envelope)))
        if not parsed:
            return applied
        # One consumer span for the batch, in the first message's trace.
        with consuming(queue.name, parsed[0][1].headers):
            reasons = await apply_batch_in_place(handler, [delivery for _, delivery in parsed],
                                                 queue.delivery_limit)
        for (index, _), reason in zip(parsed, reasons, strict=True):
            if reason is None:
                applied[index] = True
                _consumed(queue.name).inc()
            else:
                await self._dead_letter(queue.name, messages[index], reason)
        return applied

    async def _subscribe(self, channel: AbstractChannel, queue: QueueSpec,
                         on_message: Callable[[AbstractIncomingMessage], Awaitable[None]], in_order: asyncio.Lock,
                         *, passive: bool, acks: RunningAcks | None = None, no_ack: bool = False) -> Consumer:
        try:
            declared = await channel.declare_queue(queue.name, passive=True) if passive \
                else await declare_queue(channel, queue)
            tag = await declared.consume(on_message, no_ack=no_ack)
        except ChannelNotFoundEntity as exc:
            raise QueueMissing(queue.name) from exc
        except ChannelAccessRefused as exc:
            raise AccessRefused(queue.name) from exc
        return _RabbitConsumer(channel, declared, tag, in_order, acks)

    async def consume_raw(self, queue: QueueSpec, handler: RawHandler, *, prefetch: int = 32) -> Consumer:
        channel = await self._channel_for_consuming(prefetch)
        in_order = asyncio.Lock()

        async def on_message(message: AbstractIncomingMessage) -> None:
            async with in_order:
                try:
                    await handler(_raw(message))
                except Exception:
                    log.exception("raw_message_failed", queue=queue.name)
                    await asyncio.sleep(1.0)
                    await message.nack(requeue=True)
                    return
            await message.ack()

        return await self._subscribe(channel, queue, on_message, in_order, passive=False)

    async def _handle(self, queue: str, message: AbstractIncomingMessage, handler: Handler, attempts: int) -> bool:
        """True when the handler applied the message and it is to be acked."""
        headers = dict(message.headers or {})
        with consuming(queue, headers):
            return await self._apply(queue, message, headers, handler, attempts)

    async def _apply(self, queue: str, message: AbstractIncomingMessage, headers: dict[str, Any], handler: Handler,
                     attempts: int) -> bool:
        try:
            envelope = Envelope.from_body(message.body)
        except MalformedEnvelope as exc:
            await self._dead_letter(queue, message, str(exc))
            return False
        delivery = _delivery(queue, message, headers, envelope)
        reason = await apply_in_place(handler, delivery, attempts)
        if reason is not None:
            await self._dead_letter(queue, message, reason)
            return False
        _consumed(queue).inc()
        return True

    async def _apply_unacknowledged(self, queue: QueueSpec, message: AbstractIncomingMessage,
                                    handler: Handler) -> None:
        headers = dict(message.headers or {})
        with consuming(queue.name, headers):
            try:
                envelope = Envelope.from_body(message.body)
            except MalformedEnvelope as exc:
                reason: str | None = str(exc)
            else:
                reason = await apply_in_place(handler, _delivery(queue.name, message, headers, envelope),
                                              queue.delivery_limit)
        if reason is None:
            _consumed(queue.name).inc()
        else:
            log.warning("unacknowledged_message_dropped", queue=queue.name, reason=reason)

    async def _dead_letter(self, queue: str, message: AbstractIncomingMessage, reason: str) -> None:
        if self._broker_dead_letters:
            log.warning("message_rejected", queue=queue, routing_key=message.routing_key, reason=reason)
            DEAD_LETTERED.labels(queue).inc()
            await message.reject(requeue=False)
            return
        received = dict(message.headers or {})
        origin = origin_of(message.user_id, message.exchange or "", message.routing_key or "", received)
        headers = dead_letter_headers(received, queue, origin.routing_key, reason, origin.sender)
        try:
            await self._publish_raw(message.body, DEAD_LETTERS, origin.routing_key, headers=headers,
                                    message_id=message.message_id)
        except PublishFailed:
            log.exception("dead_letter_failed", queue=queue)
            await message.nack(requeue=True)
            return
        DEAD_LETTERED.labels(queue).inc()
        log.warning("message_dead_lettered", queue=queue, routing_key=message.routing_key, reason=reason)
        await message.ack()

    async def drain(self, queue: str, limit: int = 100) -> list[RawDelivery]:
        channel = await self._channel_for_reading()
        try:
            target = await channel.get_queue(queue, ensure=False)
            taken: list[RawDelivery] = []
            while len(taken) < limit:
                message = await target.get(no_ack=False, fail=False, timeout=5)
                if message is None:
                    break
                taken.append(_raw(message))
                await message.ack()
            return taken
        finally:
            await channel.close()

    async def _channel_for_consuming(self, prefetch: int) -> AbstractChannel:
        channel = await self._channel_for_reading()
        await channel.set_qos(prefetch_count=prefetch)
        return channel

    async def _channel_for_reading(self) -> AbstractChannel:
        if self._connection is None:
            raise RuntimeError("the bus is not started")
        return await self._connection.channel()


def _delivery(queue: str, message: AbstractIncomingMessage, headers: dict[str, Any], envelope: Envelope) -> Delivery:
    count = headers.get("x-delivery-count")
    origin = origin_of(message.user_id, message.exchange or "", message.routing_key or "", headers)
    return Delivery(envelope=envelope, routing_key=origin.routing_key, queue=queue, user_id=origin.sender,
                    delivery_count=count if isinstance(count, int) else 0, headers=headers)


def _raw(message: AbstractIncomingMessage) -> RawDelivery:
    return RawDelivery(message.body, message.routing_key or "", dict(message.headers or {}), message.user_id,
                       message.message_id)
