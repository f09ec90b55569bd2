"""The bus on RabbitMQ through aio-pika: robust connections, confirms, mandatory, ack after the handler.

The publisher (publisher.py: its own connection, confirms, the refused channel replaced) and the consumers
(consumers.py: acks, retries in place, dead letters) each hold their connection; RabbitBus puts them together.
"""

from typing import Any

from shared.bus.envelope import Envelope
from shared.bus.ports import BatchHandler, Bus, Consumer, Handler, RawDelivery, RawHandler, replay_headers
from shared.bus.rabbit.consumers import Consumers
from shared.bus.rabbit.publisher import Publisher
from shared.bus.topology import QueueSpec, vhost_of

__all__ = ["RabbitBus"]


class RabbitBus(Bus):
    def __init__(self, url: str, name: str = "portal", *, dead_letters_by_broker: bool = False) -> None:
        """dead_letters_by_broker: for users that may not write to portal.dead-letters (ministries): a message
        that cannot be applied is rejected and the queue's dead-letter exchange takes it, without our reason."""
        self.vhost = vhost_of(url)
        self._name = name
        self._publisher = Publisher(url, name, self.writes)
        self._consumers = Consumers(url, name, self._publisher.publish_raw,
                                    dead_letters_by_broker=dead_letters_by_broker)

    async def start(self) -> None:
        await self._consumers.start()
        await self._publisher.start()

    async def close(self) -> None:
        await self._publisher.close()
        await self._consumers.close()

    async def is_ready(self) -> bool:
        return self._consumers.is_ready() and self._publisher.is_ready()

    async def declare(self, queues: tuple[QueueSpec, ...] | list[QueueSpec]) -> None:
        await self._publisher.declare(queues)

    async def publish(self, envelope: Envelope, exchange: str, routing_key: str, *,
                      user_id: str | None = None, also_to: tuple[str, ...] = ()) -> None:
        await self._publisher.publish(envelope, exchange, routing_key, user_id=user_id, also_to=also_to)

    async def publish_raw(self, body: bytes, exchange: str, routing_key: str, *,
                          headers: dict[str, Any] | None = None, message_id: str | None = None) -> None:
        await self._publisher.publish_raw(body, exchange, routing_key, headers=headers, message_id=message_id)

    async def replay(self, message: RawDelivery, queue: str, *, replay_of: str) -> None:
        await self.publish_raw(message.body, "", queue, headers=replay_headers(message, replay_of),
                               message_id=message.message_id)

    async def consume(self, queue: QueueSpec, handler: Handler, *, prefetch: int = 32,
                      passive: bool = False, acknowledged: bool = True) -> Consumer:
        return await self._consumers.consume(queue, handler, prefetch=prefetch, passive=passive,
                                             acknowledged=acknowledged)

    async def consume_in_batches(self, queue: QueueSpec, handler: BatchHandler, *, prefetch: int = 32,
                                 linger: float = 0.0) -> Consumer:
        return await self._consumers.consume_in_batches(queue, handler, prefetch=prefetch, linger=linger)

    async def consume_raw(self, queue: QueueSpec, handler: RawHandler, *, prefetch: int = 32) -> Consumer:
        return await self._consumers.consume_raw(queue, handler, prefetch=prefetch)

    async def drain(self, queue: str, limit: int = 100) -> list[RawDelivery]:
        return await self._consumers.drain(queue, limit)
