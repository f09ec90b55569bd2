"""Publishing on RabbitMQ: its own connection, publisher confirms and mandatory, and the channel or connection the
broker keeps refusing replaced."""

import asyncio
import contextlib
import time
from typing import Any, cast

import aio_pika
import aiormq
from aio_pika.abc import AbstractChannel, AbstractRobustConnection
from aio_pika.exceptions import AMQPError, ChannelInvalidStateError, DeliveryError, PublishError
from prometheus_client import Counter

from shared.bus.envelope import CONTENT_TYPE, Envelope
from shared.bus.health import PublishHealth
from shared.bus.ports import PublishFailed
from shared.bus.rabbit.connection import connect, declare_queue
from shared.bus.topology import EXCHANGES, QueueSpec
from shared.logging import get_logger
from shared.tracing import publishing

log = get_logger(__name__)
PUBLISH_TIMEOUT = 10.0
PERSISTENT = int(aio_pika.DeliveryMode.PERSISTENT)

PUBLISHED = Counter("portal_bus_published_total", "Messages the broker confirmed", ["exchange"])
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


class Publisher:
    def __init__(self, url: str, name: str, writes: PublishHealth) -> None:
        self._url, self._name, self._writes = url, name, writes
        # Publishing has its own connection: flow control on a publisher never stalls the consumers, and a
        # publishing connection the broker keeps refusing can be replaced without touching them.
        self._publishing: AbstractRobustConnection | None = None
        self._publisher: AbstractChannel | None = None
        self._topology_lock = asyncio.Lock()
        self._reopening = asyncio.Lock()
        self._nacks = 0
        self._confirmed_on_channel = False
        self._restored = False
        self._reopened_at = {"channel": 0.0, "connection": 0.0}
        self._published_to: dict[str, Any] = {}

    async def start(self) -> None:
        self._publishing = await connect(self._url, self._name, "publishing")
        await self._open_publisher()

    async def _open_publisher(self) -> None:
        assert self._publishing is not None
        channel = await self._publishing.channel(publisher_confirms=True, on_return_raises=True)
        # Marked when it is lost, not when it is restored: the robust connection publishes on a restored channel
        # before its reopen callbacks run, and the outbox's first publishes were nacked in that gap.
        channel.close_callbacks.add(self._on_lost)
        self._publisher = channel
        self._nacks = 0
        self._confirmed_on_channel = False
        self._restored = False

    def _on_lost(self, channel: AbstractChannel | None, _: BaseException | None) -> None:
        """The publishing channel closed under us (a connection lost): what the robust connection restores is a
        channel with no confirm yet."""
        if channel is not None and channel is self._publisher:
            self._nacks, self._confirmed_on_channel, self._restored = 0, False, True

    async def close(self) -> None:
        if self._publishing is not None:
            with contextlib.suppress(Exception):
                await self._publishing.close()
        self._publishing = self._publisher = None

    def is_ready(self) -> bool:
        return self._publishing is not None and not self._publishing.is_closed \
            and self._publisher is not None and not self._publisher.is_closed

    @property
    def _channel(self) -> AbstractChannel:
        if self._publisher is None:
            raise PublishFailed("the bus is not started")
        return self._publisher

    async def declare(self, queues: tuple[QueueSpec, ...] | list[QueueSpec]) -> None:
        async with self._topology_lock:
            for name in EXCHANGES:
                await self._channel.declare_exchange(name, aio_pika.ExchangeType.TOPIC, durable=True)
            for spec in queues:
                await declare_queue(self._channel, spec)

    async def _send(self, body: bytes, properties: aiormq.spec.Basic.Properties, exchange: str,
                    routing_key: str) -> None:
        """Publish with confirms; on refusals, reopen what the broker keeps refusing and send the same message
        (same message id) again, at most once per level; what still fails is the caller's to keep and retry."""
        while True:
            try:
                # What aio-pika's Exchange.publish does (the robust channel waits for its connection to be back),
                # without an aio_pika.Message and an exchange object per message: building the message's
                # properties through them cost about 10 µs of the 300 a confirmed publish takes.
                channel = self._channel
                if channel.is_closed:
                    raise ChannelInvalidStateError(f"{channel!r} closed")
                # aio-pika's underlay is aiormq's Channel, whose basic_publish (not its abstract one) takes wait.
                underlay = cast(aiormq.Channel, await channel.get_underlay_channel())
                # wait=False: not also waiting for the frame to reach the socket (a future, and the channel's lock
                # held until then) when the broker's confirm, awaited next, comes only after it did.
                await underlay.basic_publish(body, exchange=exchange, routing_key=routing_key, properties=properties,
                                             mandatory=True, timeout=PUBLISH_TIMEOUT, wait=False)
            except PublishError as exc:
                raise PublishFailed(f"no queue takes {routing_key!r} on {exchange!r}: {exc}") from exc
            except DeliveryError as exc:
                self._writes.failed()
                if await self._reopen_after_nack():
                    continue
                raise PublishFailed(f"the broker refused {routing_key!r} on {exchange!r}: {exc}") from exc
            except (AMQPError, ConnectionError, TimeoutError, RuntimeError) as exc:
                self._writes.failed()
                raise PublishFailed(f"publishing {routing_key!r} on {exchange!r} failed: {exc!r}") from exc
            self._nacks, self._confirmed_on_channel, self._restored = 0, True, False
            self._writes.confirmed()
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
                    self._publishing = await connect(self._url, self._name, "publishing")
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
                      user_id: str | None = None, also_to: tuple[str, ...] = ()) -> None:
        headers: dict[str, Any] = {}
        with publishing(routing_key, headers, envelope.trace_context):
            if also_to:
                # Sender-selected distribution: the broker routes by these keys too and removes the header.
                headers["BCC"] = list(also_to)
            properties = _properties(headers, envelope.id, envelope.type, user_id)
            await self._send(envelope.to_body(), properties, exchange, routing_key)

    async def publish_raw(self, body: bytes, exchange: str, routing_key: str, *,
                          headers: dict[str, Any] | None = None, message_id: str | None = None) -> None:
        await self._send(body, _properties(headers or {}, message_id), exchange, routing_key)


def _properties(headers: dict[str, Any], message_id: str | None, message_type: str | None = None,
                user_id: str | None = None) -> aiormq.spec.Basic.Properties:
    """A persistent CloudEvents message's properties, as aio_pika.Message would give them."""
    return aiormq.spec.Basic.Properties(content_type=CONTENT_TYPE, delivery_mode=PERSISTENT, headers=headers,
                                        message_id=message_id, message_type=message_type, user_id=user_id,
                                        priority=0)
