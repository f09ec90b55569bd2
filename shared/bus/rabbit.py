"""The bus on RabbitMQ through aio-pika: robust connection, confirms, mandatory, ack after the handler."""

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)
from aio_pika.exceptions import AMQPError, ChannelNotFoundEntity, DeliveryError, PublishError
from aiormq.exceptions import ChannelAccessRefused
from prometheus_client import Counter

from shared.bus.acks import RunningAcks
from shared.bus.envelope import CONTENT_TYPE, Envelope, MalformedEnvelope
from shared.bus.ports import (
    AccessRefused,
    BatchHandler,
    Bus,
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
    replay_headers,
)
from shared.bus.topology import DEAD_LETTERS, EXCHANGES, QueueSpec, vhost_of
from shared.logging import get_logger
from shared.tracing import consuming, publishing

log = get_logger(__name__)
PUBLISH_TIMEOUT = 10.0
RECONNECT_SECONDS = 1.0

PUBLISHED = Counter("portal_bus_published_total", "Messages the broker confirmed", ["exchange"])
CONSUMED = Counter("portal_bus_consumed_total", "Messages handled and acked", ["queue"])
DEAD_LETTERED = Counter("portal_bus_dead_lettered_total", "Messages sent to dead letters", ["queue"])
REOPENED = Counter("portal_bus_publisher_reopened_total",
                   "Publishing channels or connections reopened because the broker kept refusing them",
                   ["connection", "what"])
# After this many nacks in a row the publishing channel is suspect (a node loss can leave a channel refusing
# every publish while fresh channels are served). A channel the robust connection restored after a reconnect is
# such a channel from its first publish on (a node loss's restored channels were nacked until replaced), so its
# first nack reopens it; a nack on a channel opened afresh here points at the connection. Reopens are spaced so
# that a queue that is really full is not answered with a reconnect storm.
NACK_STREAK = 3
REOPEN_CHANNEL_EVERY = 2.0
REOPEN_CONNECTION_EVERY = 10.0


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


class RabbitBus(Bus):
    def __init__(self, url: str, name: str = "portal", *, dead_letters_by_broker: bool = False) -> None:
        """dead_letters_by_broker: for users that may not write to portal.dead-letters (ministries): a message
        that cannot be applied is rejected and the queue's dead-letter exchange takes it, without our reason."""
        self._url = url
        self.vhost = vhost_of(url)
        self._name = name
        self._broker_dead_letters = dead_letters_by_broker
        self._connection: AbstractRobustConnection | None = None
        # Publishing has its own connection: flow control on a publisher never stalls the consumers, and a
        # publishing connection the broker keeps refusing can be replaced without touching them.
        self._publishing: AbstractRobustConnection | None = None
        self._publisher: AbstractChannel | None = None
        self._exchanges: dict[str, AbstractExchange] = {}
        self._topology_lock = asyncio.Lock()
        self._reopening = asyncio.Lock()
        self._nacks = 0
        self._confirmed_on_channel = False
        self._restored = False
        self._reopened_at = {"channel": 0.0, "connection": 0.0}
        self._published_to: dict[str, Any] = {}

    async def _connect(self, purpose: str) -> AbstractRobustConnection:
        # A failed reconnect (a load balancer that has not yet seen its node die) is tried again after a second,
        # not aio-pika's default five: a node loss should hold a ministry up for no longer than that.
        return await aio_pika.connect_robust(self._url, reconnect_interval=RECONNECT_SECONDS,
                                             client_properties={"connection_name": f"{self._name} ({purpose})"})

    async def start(self) -> None:
        self._connection = await self._connect("consuming")
        self._publishing = await self._connect("publishing")
        await self._open_publisher()

    async def _open_publisher(self) -> None:
        assert self._publishing is not None
        channel = await self._publishing.channel(publisher_confirms=True, on_return_raises=True)
        # Marked when it is lost, not when it is restored: the robust connection publishes on a restored channel
        # before its reopen callbacks run, and the outbox's first publishes were nacked in that gap.
        channel.close_callbacks.add(self._on_lost)
        self._publisher = channel
        self._exchanges = {}
        self._nacks = 0
        self._confirmed_on_channel = False
        self._restored = False

    def _on_lost(self, channel: AbstractChannel | None, _: BaseException | None) -> None:
        """The publishing channel closed under us (a connection lost): what the robust connection restores is a
        channel with no confirm yet."""
        if channel is not None and channel is self._publisher:
            self._nacks, self._confirmed_on_channel, self._restored = 0, False, True

    async def close(self) -> None:
        for connection in (self._publishing, self._connection):
            if connection is not None:
                with contextlib.suppress(Exception):
                    await connection.close()
        self._connection = self._publishing = self._publisher = None

    async def is_ready(self) -> bool:
        return all(c is not None and not c.is_closed for c in (self._connection, self._publishing)) \
            and self._publisher is not None and not self._publisher.is_closed

    @property
    def _channel(self) -> AbstractChannel:
        if self._publisher is None:
            raise PublishFailed("the bus is not started")
        return self._publisher

    async def _exchange(self, name: str) -> AbstractExchange:
        if name == "":
            return self._channel.default_exchange
        if name not in self._exchanges:
            self._exchanges[name] = await self._channel.get_exchange(name, ensure=False)
        return self._exchanges[name]

    async def declare(self, queues: tuple[QueueSpec, ...] | list[QueueSpec]) -> None:
        async with self._topology_lock:
            for name in EXCHANGES:
                self._exchanges[name] = await self._channel.declare_exchange(
                    name, aio_pika.ExchangeType.TOPIC, durable=True)
            for spec in queues:
                await self._declare_queue(self._channel, spec)

    async def _declare_queue(self, channel: AbstractChannel, spec: QueueSpec) -> AbstractQueue:
        queue = await channel.declare_queue(spec.name, durable=not spec.exclusive, exclusive=spec.exclusive,
                                            auto_delete=spec.exclusive, arguments=spec.arguments())
        for binding in spec.bindings:
            await queue.bind(binding.exchange, binding.routing_key)
        return queue

    async def _send(self, message: aio_pika.Message, exchange: str, routing_key: str) -> None:
        """Publish with confirms; on refusals, reopen what the broker keeps refusing and send the same message
        (same message id) again, at most once per level; what still fails is the caller's to keep and retry."""
        while True:
            try:
                target = await self._exchange(exchange)
                await target.publish(message, routing_key, mandatory=True, timeout=PUBLISH_TIMEOUT)
            except PublishError as exc:
                raise PublishFailed(f"no queue takes {routing_key!r} on {exchange!r}: {exc}") from exc
            except DeliveryError as exc:
                self.writes.failed()
                if await self._reopen_after_nack():
                    continue
                raise PublishFailed(f"the broker refused {routing_key!r} on {exchange!r}: {exc}") from exc
            except (AMQPError, ConnectionError, TimeoutError, RuntimeError) as exc:
                self.writes.failed()
                raise PublishFailed(f"publishing {routing_key!r} on {exchange!r} failed: {exc!r}") from exc
            self._nacks, self._confirmed_on_channel, self._restored = 0, True, False
            self.writes.confirmed()
            self._published(exchange).inc()
            return

    def _published(self, exchange: str) -> Any:
        counter = self._published_to.get(exchange)
        if counter is None:
            counter = self._published_to[exchange] = PUBLISHED.labels(exchange)
        return counter

    async def _reopen_after_nack(self) -> bool:
        """True when a fresh channel or connection was opened, so the message is worth sending again now."""
        self._nacks += 1
        if self._restored and not self._confirmed_on_channel:
            what: str | None = "channel"
        elif not self._confirmed_on_channel:
            what = "connection"
        else:
            what = "channel" if self._nacks >= NACK_STREAK else None
        if what is None:
            return False
        every = REOPEN_CONNECTION_EVERY if what == "connection" else REOPEN_CHANNEL_EVERY
        if time.monotonic() - self._reopened_at[what] < every:
            return False
        async with self._reopening:
            self._reopened_at[what] = time.monotonic()
            log.warning("bus_publisher_reopened", reopened=what, nacks=self._nacks)
            REOPENED.labels(self._name, what).inc()
            old_channel, old_connection = self._publisher, self._publishing
            try:
                if what == "connection":
                    self._publishing = await self._connect("publishing")
                await self._open_publisher()
            except (AMQPError, ConnectionError, TimeoutError, RuntimeError, OSError):
                log.warning("bus_publisher_reopen_failed", reopened=what, exc_info=True)
                return False
            with contextlib.suppress(Exception):
                if what == "connection" and old_connection is not None:
                    await old_connection.close()
                elif old_channel is not None:
                    await old_channel.close()
        return True

    async def publish(self, envelope: Envelope, exchange: str, routing_key: str, *,
                      user_id: str | None = None) -> None:
        headers: dict[str, Any] = {}
        with publishing(routing_key, headers, envelope.trace_context):
            message = aio_pika.Message(
                envelope.to_body(), content_type=CONTENT_TYPE, delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                message_id=envelope.id, type=envelope.type, user_id=user_id, headers=headers,
            )
            await self._send(message, exchange, routing_key)

    async def publish_raw(self, body: bytes, exchange: str, routing_key: str, *,
                          headers: dict[str, Any] | None = None, message_id: str | None = None) -> None:
        message = aio_pika.Message(body, content_type=CONTENT_TYPE, headers=headers or {}, message_id=message_id,
                                   delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
        await self._send(message, exchange, routing_key)

    async def replay(self, message: RawDelivery, queue: str, *, replay_of: str) -> None:
        await self.publish_raw(message.body, "", queue, headers=replay_headers(message, replay_of),
                               message_id=message.message_id)

    async def consume(self, queue: QueueSpec, handler: Handler, *, prefetch: int = 32,
                      passive: bool = False) -> Consumer:
        channel = await self._channel_for_consuming(prefetch)
        # One message at a time per queue keeps a ministry's events in the order it sent them;
        # parallelism comes from one queue per ministry, not from reordering within one.
        in_order = asyncio.Lock()
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

    async def consume_in_batches(self, queue: QueueSpec, handler: BatchHandler, *, prefetch: int = 32) -> Consumer:
        channel = await self._channel_for_consuming(prefetch)
        in_order = asyncio.Lock()
        acks = RunningAcks(max(prefetch // 2, 1))
        # Delivered and not yet taken into a batch, in delivery order; whoever holds the lock takes them all.
        waiting: list[AbstractIncomingMessage] = []

        async def on_message(message: AbstractIncomingMessage) -> None:
            acks.received(message)
            waiting.append(message)
            async with in_order:
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
            parsed.append((index, self._delivery(queue.name, message, headers, envelope)))
        if not parsed:
            return applied
        # One consumer span for the batch, in the first message's trace.
        with consuming(queue.name, parsed[0][1].headers):
            reasons = await apply_batch_in_place(handler, [delivery for _, delivery in parsed],
                                                 queue.delivery_limit)
        for (index, _), reason in zip(parsed, reasons, strict=True):
            if reason is None:
                applied[index] = True
                CONSUMED.labels(queue.name).inc()
            else:
                await self._dead_letter(queue.name, messages[index], reason)
        return applied

    async def _subscribe(self, channel: AbstractChannel, queue: QueueSpec,
                         on_message: Callable[[AbstractIncomingMessage], Awaitable[None]], in_order: asyncio.Lock,
                         *, passive: bool, acks: RunningAcks | None = None) -> Consumer:
        try:
            declared = await channel.declare_queue(queue.name, passive=True) if passive \
                else await self._declare_queue(channel, queue)
            tag = await declared.consume(on_message, no_ack=False)
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
        delivery = self._delivery(queue, message, headers, envelope)
        reason = await apply_in_place(handler, delivery, attempts)
        if reason is not None:
            await self._dead_letter(queue, message, reason)
            return False
        CONSUMED.labels(queue).inc()
        return True

    @staticmethod
    def _delivery(queue: str, message: AbstractIncomingMessage, headers: dict[str, Any], envelope: Envelope
                  ) -> Delivery:
        count = headers.get("x-delivery-count")
        origin = origin_of(message.user_id, message.exchange or "", message.routing_key or "", headers)
        return Delivery(envelope=envelope, routing_key=origin.routing_key, queue=queue, user_id=origin.sender,
                        delivery_count=count if isinstance(count, int) else 0, headers=headers)

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
            await self.publish_raw(message.body, DEAD_LETTERS, origin.routing_key, headers=headers,
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


def _raw(message: AbstractIncomingMessage) -> RawDelivery:
    return RawDelivery(message.body, message.routing_key or "", dict(message.headers or {}), message.user_id,
                       message.message_id)
