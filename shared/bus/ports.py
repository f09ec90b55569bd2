"""The bus every service talks to; RabbitBus for real, InMemoryBus for unit tests and no-broker mode."""

import abc
import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from shared.bus.envelope import Envelope
from shared.bus.topology import QueueSpec
from shared.logging import get_logger

log = get_logger(__name__)

REASON_HEADER = "x-portal-reason"
ORIGIN_QUEUE_HEADER = "x-portal-origin-queue"
ORIGIN_KEY_HEADER = "x-portal-origin-routing-key"


class Rejected(Exception):
    """The message can never be applied: it goes to dead letters with this reason and consumption goes on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AccessRefused(Exception):
    """The broker user may not read this queue."""


class QueueMissing(Exception):
    """A queue consumed passively does not exist (yet)."""


class PublishFailed(Exception):
    """The broker did not take the message (unroutable, queue full, nacked or unreachable)."""


@dataclass(frozen=True)
class Delivery:
    envelope: Envelope
    routing_key: str
    queue: str
    user_id: str | None = None
    delivery_count: int = 0
    headers: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[Delivery], Awaitable[None]]


@dataclass(frozen=True)
class RawDelivery:
    body: bytes
    routing_key: str
    headers: dict[str, Any]


class Consumer(abc.ABC):
    @abc.abstractmethod
    async def cancel(self) -> None: ...


class Bus(abc.ABC):
    @abc.abstractmethod
    async def start(self) -> None: ...

    @abc.abstractmethod
    async def close(self) -> None: ...

    @abc.abstractmethod
    async def is_ready(self) -> bool: ...

    @abc.abstractmethod
    async def declare(self, queues: tuple[QueueSpec, ...] | list[QueueSpec]) -> None:
        """Declare the portal's exchanges and the given queues with their bindings (idempotent)."""

    @abc.abstractmethod
    async def publish(self, envelope: Envelope, exchange: str, routing_key: str, *,
                      user_id: str | None = None) -> None:
        """Return only once the broker has confirmed the message; raise PublishFailed otherwise."""

    @abc.abstractmethod
    async def publish_raw(self, body: bytes, exchange: str, routing_key: str, *,
                          headers: dict[str, Any] | None = None) -> None: ...

    @abc.abstractmethod
    async def consume(self, queue: QueueSpec, handler: Handler, *, prefetch: int = 32,
                      passive: bool = False) -> Consumer:
        """Ack after the handler returns; dead-letter with a reason on Rejected or after repeated failures.

        passive: the queue must already exist (a ministry's user may read its queue but not declare it).
        """

    @abc.abstractmethod
    async def drain(self, queue: str, limit: int = 100) -> list[RawDelivery]:
        """Take up to `limit` messages off a queue, acked (for operators reading dead letters)."""


def retry_delay(attempt: int) -> float:
    return min(0.2 * 3.0 ** attempt, 10.0)


async def apply_in_place(handler: Handler, delivery: Delivery, attempts: int) -> str | None:
    """Apply a delivery, retrying it in place so nothing queued behind it can overtake it.

    Returns None once applied, or the reason to dead-letter it: the handler rejected it, or it kept failing.
    """
    for attempt in range(1, attempts + 1):
        try:
            await handler(delivery)
            return None
        except Rejected as exc:
            return exc.reason
        except Exception as exc:
            if attempt == attempts:
                log.exception("message_failed", queue=delivery.queue, routing_key=delivery.routing_key,
                              attempts=attempts)
                return f"failed {attempts} times: {type(exc).__name__}"
            log.warning("message_retried", queue=delivery.queue, attempt=attempt, error=type(exc).__name__)
            await asyncio.sleep(retry_delay(attempt - 1))
    return None
