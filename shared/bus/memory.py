"""The bus in one process: same routing, acks, limits and dead letters as RabbitBus, no broker."""

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

from shared.bus.envelope import Envelope, MalformedEnvelope
from shared.bus.ports import (
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
from shared.bus.topology import DEAD_LETTER_QUEUE, DEAD_LETTERS, Binding, QueueSpec, topic_matches
from shared.logging import get_logger
from shared.tracing import consuming, publishing

log = get_logger(__name__)


@dataclass
class _Message:
    body: bytes
    routing_key: str
    headers: dict[str, Any]
    user_id: str | None = None
    delivery_count: int = 0
    exchange: str = ""
    message_id: str | None = None

    def raw(self) -> RawDelivery:
        return RawDelivery(self.body, self.routing_key, self.headers, self.user_id, self.message_id)


@dataclass
class _Queue:
    spec: QueueSpec
    messages: asyncio.Queue[_Message] = field(default_factory=asyncio.Queue)
    # What its consumers bound while it was consumed (Consumer.bind), besides its spec's.
    bound: set[Binding] = field(default_factory=set)

    def takes(self, exchange: str, routing_key: str) -> bool:
        return any(b.exchange == exchange and topic_matches(b.routing_key, routing_key)
                   for bindings in (self.spec.bindings, self.bound) for b in bindings)


class _MemoryConsumer(Consumer):
    def __init__(self, task: asyncio.Task[None], busy: asyncio.Lock, queue: _Queue) -> None:
        self._task, self._busy, self._queue = task, busy, queue

    async def bind(self, exchange: str, routing_key: str) -> None:
        self._queue.bound.add(Binding(exchange, routing_key))

    async def unbind(self, exchange: str, routing_key: str) -> None:
        self._queue.bound.discard(Binding(exchange, routing_key))

    async def cancel(self) -> None:
        """The message being handled finishes (bounded) before the consumer stops."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10):
                await self._busy.acquire()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


class InMemoryBus(Bus):
    def __init__(self) -> None:
        self.queues: dict[str, _Queue] = {}
        self._users = 0

    async def start(self) -> None:
        self._users += 1

    async def close(self) -> None:
        self._users = max(self._users - 1, 0)

    async def is_ready(self) -> bool:
        return self._users > 0

    async def declare(self, queues: tuple[QueueSpec, ...] | list[QueueSpec]) -> None:
        for spec in (DEAD_LETTER_QUEUE, *queues):
            self.queues.setdefault(spec.name, _Queue(spec))

    def _route(self, exchange: str, routing_keys: tuple[str, ...]) -> list[_Queue]:
        """Each queue that takes any of the keys, once (as the broker routes a message with BCC keys)."""
        if exchange == "":
            return [self.queues[routing_keys[0]]] if routing_keys[0] in self.queues else []
        return [q for q in self.queues.values() if any(q.takes(exchange, key) for key in routing_keys)]

    async def _enqueue(self, exchange: str, routing_key: str, message: _Message, also_to: tuple[str, ...] = ()
                       ) -> None:
        targets = self._route(exchange, (routing_key, *also_to))
        if not targets:
            raise PublishFailed(f"no queue is bound for {routing_key!r} on {exchange!r}")
        full = [q.spec.name for q in targets if q.messages.qsize() >= q.spec.max_length]
        if full:
            raise PublishFailed(f"queue full: {', '.join(full)}")
        for queue in targets:
            queue.messages.put_nowait(_Message(message.body, routing_key, dict(message.headers), message.user_id,
                                               exchange=exchange, message_id=message.message_id))
        self.writes.confirmed()

    async def publish(self, envelope: Envelope, exchange: str, routing_key: str, *,
                      user_id: str | None = None, also_to: tuple[str, ...] = ()) -> None:
        headers: dict[str, Any] = {}
        with publishing(routing_key, headers, envelope.trace_context):
            await self._enqueue(exchange, routing_key, _Message(envelope.to_body(), routing_key, headers, user_id,
                                                                message_id=envelope.id), also_to)

    async def publish_raw(self, body: bytes, exchange: str, routing_key: str, *,
                          headers: dict[str, Any] | None = None, message_id: str | None = None) -> None:
        await self._enqueue(exchange, routing_key, _Message(body, routing_key, dict(headers or {}),
                                                            message_id=message_id))

    async def replay(self, message: RawDelivery, queue: str, *, replay_of: str) -> None:
        await self.publish_raw(message.body, "", queue, headers=replay_headers(message, replay_of),
                               message_id=message.message_id)

    async def consume(self, queue: QueueSpec, handler: Handler, *, prefetch: int = 32,
                      passive: bool = False, acknowledged: bool = True) -> Consumer:
        if passive and queue.name not in self.queues:
            raise QueueMissing(queue.name)
        await self.declare([queue])
        busy, taken = asyncio.Lock(), self.queues[queue.name]
        return _MemoryConsumer(asyncio.create_task(self._run(taken, handler, busy, acknowledged)), busy, taken)

    async def consume_in_batches(self, queue: QueueSpec, handler: BatchHandler, *, prefetch: int = 32,
                                 linger: float = 0.0) -> Consumer:
        await self.declare([queue])
        busy, taken = asyncio.Lock(), self.queues[queue.name]
        return _MemoryConsumer(asyncio.create_task(self._run_batches(taken, handler, busy, prefetch, linger)), busy,
                               taken)

    async def _run_batches(self, queue: _Queue, handler: BatchHandler, busy: asyncio.Lock, prefetch: int,
                           linger: float) -> None:
        while True:
            messages = [await queue.messages.get()]
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(linger or None):
                    while linger and len(messages) < prefetch:
                        messages.append(await queue.messages.get())
            while len(messages) < prefetch and not queue.messages.empty():
                messages.append(queue.messages.get_nowait())
            async with busy:
                await self._apply_batch(queue, messages, handler)

    async def _apply_batch(self, queue: _Queue, messages: list[_Message], handler: BatchHandler) -> None:
        parsed: list[tuple[_Message, Delivery]] = []
        for message in messages:
            try:
                envelope = Envelope.from_body(message.body)
            except MalformedEnvelope as exc:
                await self._dead_letter(queue, message, str(exc))
                continue
            parsed.append((message, _delivery(queue, message, envelope)))
        if not parsed:
            return
        with consuming(queue.spec.name, parsed[0][0].headers):
            reasons = await apply_batch_in_place(handler, [delivery for _, delivery in parsed],
                                                 queue.spec.delivery_limit)
        for (message, _), reason in zip(parsed, reasons, strict=True):
            if reason is not None:
                await self._dead_letter(queue, message, reason)

    async def consume_raw(self, queue: QueueSpec, handler: RawHandler, *, prefetch: int = 32) -> Consumer:
        await self.declare([queue])
        busy, taken = asyncio.Lock(), self.queues[queue.name]
        return _MemoryConsumer(asyncio.create_task(self._run_raw(taken, handler, busy)), busy, taken)

    async def _run_raw(self, queue: _Queue, handler: RawHandler, busy: asyncio.Lock) -> None:
        while True:
            message = await queue.messages.get()
            async with busy:
                while True:
                    try:
                        await handler(message.raw())
                        break
                    except Exception:
                        log.exception("raw_message_failed", queue=queue.spec.name)
                        await asyncio.sleep(1.0)

    async def _run(self, queue: _Queue, handler: Handler, busy: asyncio.Lock, acknowledged: bool) -> None:
        while True:
            message = await queue.messages.get()
            async with busy:
                await self._handle(queue, message, handler, acknowledged)

    async def _handle(self, queue: _Queue, message: _Message, handler: Handler, acknowledged: bool) -> None:
        with consuming(queue.spec.name, message.headers):
            await self._apply(queue, message, handler, acknowledged)

    async def _apply(self, queue: _Queue, message: _Message, handler: Handler, acknowledged: bool) -> None:
        try:
            envelope = Envelope.from_body(message.body)
        except MalformedEnvelope as exc:
            reason: str | None = str(exc)
        else:
            reason = await apply_in_place(handler, _delivery(queue, message, envelope), queue.spec.delivery_limit)
        if reason is None:
            return
        if acknowledged:
            await self._dead_letter(queue, message, reason)
        else:
            log.warning("unacknowledged_message_dropped", queue=queue.spec.name, reason=reason)

    async def _dead_letter(self, queue: _Queue, message: _Message, reason: str) -> None:
        origin = origin_of(message.user_id, message.exchange, message.routing_key, message.headers)
        headers = dead_letter_headers(message.headers, queue.spec.name, origin.routing_key, reason, origin.sender)
        await self.publish_raw(message.body, DEAD_LETTERS, origin.routing_key, headers=headers,
                               message_id=message.message_id)
        log.warning("message_dead_lettered", queue=queue.spec.name, reason=reason)

    async def drain(self, queue: str, limit: int = 100) -> list[RawDelivery]:
        taken: list[RawDelivery] = []
        source = self.queues.get(queue)
        while source is not None and len(taken) < limit and not source.messages.empty():
            message = source.messages.get_nowait()
            taken.append(message.raw())
        return taken


def _delivery(queue: _Queue, message: _Message, envelope: Envelope) -> Delivery:
    origin = origin_of(message.user_id, message.exchange, message.routing_key, message.headers)
    return Delivery(envelope, origin.routing_key, queue.spec.name, origin.sender, message.delivery_count,
                    dict(message.headers))
