"""The bus every service talks to; RabbitBus for real, InMemoryBus for unit tests and no-broker mode."""

import abc
import asyncio
import hashlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from tenacity import AsyncRetrying, RetryCallState, retry_if_not_exception_type, stop_after_attempt, wait_exponential

from shared.bus.envelope import Envelope
from shared.bus.health import PublishHealth
from shared.bus.topology import DEFAULT_VHOST, QueueSpec
from shared.logging import get_logger
from shared.tracing import TRACEPARENT, TRACESTATE

log = get_logger(__name__)

REASON_HEADER = "x-portal-reason"
ORIGIN_QUEUE_HEADER = "x-portal-origin-queue"
ORIGIN_KEY_HEADER = "x-portal-origin-routing-key"
ORIGIN_USER_HEADER = "x-portal-origin-user-id"
DEAD_LETTER_ID_HEADER = "x-portal-dead-letter-id"
REPLAY_HEADER = "x-portal-replay-of"


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
# Applies deliveries together (one transaction, say): all of them, or none and raise.
BatchHandler = Callable[[list[Delivery]], Awaitable[None]]


@dataclass(frozen=True)
class RawDelivery:
    body: bytes
    routing_key: str
    headers: dict[str, Any]
    user_id: str | None = None
    message_id: str | None = None


RawHandler = Callable[[RawDelivery], Awaitable[None]]


@dataclass(frozen=True)
class Origin:
    sender: str | None
    routing_key: str


def origin_of(user_id: str | None, exchange: str, routing_key: str, headers: dict[str, Any]) -> Origin:
    """Who published a delivery, as the broker validated it, and under which routing key.

    A replay arrives from the portal on the default exchange, which no ministry may write to, carrying the
    user id the broker validated on the original delivery and its routing key; anything else is as delivered.
    """
    if exchange == "" and REPLAY_HEADER in headers:
        sender = headers.get(ORIGIN_USER_HEADER)
        return Origin(str(sender) if sender else None, str(headers.get(ORIGIN_KEY_HEADER, routing_key)))
    return Origin(user_id, routing_key)


class Consumer(abc.ABC):
    @abc.abstractmethod
    async def cancel(self) -> None: ...

    @abc.abstractmethod
    async def bind(self, exchange: str, routing_key: str) -> None:
        """Route `routing_key` on `exchange` to this consumer's queue too (kept across reconnects)."""

    @abc.abstractmethod
    async def unbind(self, exchange: str, routing_key: str) -> None:
        """Stop routing what bind() routed here."""


class Bus(abc.ABC):
    # Names that are global to the broker (its users) carry the vhost; see topology.ministry_broker_user.
    vhost: str = DEFAULT_VHOST

    @property
    def writes(self) -> PublishHealth:
        """Whether the broker confirms this bus's publishes (readiness detail and metrics)."""
        health: PublishHealth | None = self.__dict__.get("_writes")
        if health is None:
            health = self.__dict__["_writes"] = PublishHealth(getattr(self, "_name", type(self).__name__))
        return health

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
                      user_id: str | None = None, also_to: tuple[str, ...] = ()) -> None:
        """Return only once the broker has confirmed the message; raise PublishFailed otherwise.

        also_to: keys it is routed by besides routing_key (topology.also_routed), which its consumers never see."""

    @abc.abstractmethod
    async def publish_raw(self, body: bytes, exchange: str, routing_key: str, *,
                          headers: dict[str, Any] | None = None, message_id: str | None = None) -> None:
        """Publish bytes as they are; the empty exchange delivers straight to the queue named by routing_key."""

    @abc.abstractmethod
    async def consume(self, queue: QueueSpec, handler: Handler, *, prefetch: int = 32,
                      passive: bool = False, acknowledged: bool = True) -> Consumer:
        """Ack after the handler returns; dead-letter with a reason on Rejected or after repeated failures.

        passive: the queue must already exist (a ministry's user may read its queue but not declare it).
        acknowledged=False: the broker forgets each delivery as it sends it, and one the handler cannot apply is
        logged and dropped: for hints a later state supersedes (live updates), which a crash may lose at no cost,
        where an ack per delivery costs both ends a write.
        """

    @abc.abstractmethod
    async def consume_in_batches(self, queue: QueueSpec, handler: BatchHandler, *, prefetch: int = 32,
                                 linger: float = 0.0) -> Consumer:
        """As consume, but the deliveries waiting when the handler is free go to it together, in order (up to
        the prefetch), and are acked once it returns: a handler that commits them in one transaction pays one
        commit for the lot. When a batch fails, each of its deliveries is applied alone (retried in place,
        dead-lettered with its reason), so one bad message never holds back the others.

        linger: once a batch's first delivery is there, wait up to this many seconds for more (until the prefetch
        is reached), for a handler whose cost is mostly per batch and whose effect may come that much later."""

    @abc.abstractmethod
    async def consume_raw(self, queue: QueueSpec, handler: RawHandler, *, prefetch: int = 32) -> Consumer:
        """Messages as the broker holds them, acked after the handler returns, redelivered if it raises."""

    @abc.abstractmethod
    async def replay(self, message: RawDelivery, queue: str, *, replay_of: str) -> None:
        """Put a dead letter back on the queue it came from (and only that queue), keeping who sent it."""

    @abc.abstractmethod
    async def drain(self, queue: str, limit: int = 100) -> list[RawDelivery]:
        """Take up to `limit` messages off a queue, acked (for operators reading dead letters)."""


def replay_headers(message: RawDelivery, replay_of: str) -> dict[str, Any]:
    headers: dict[str, Any] = {REPLAY_HEADER: replay_of, ORIGIN_KEY_HEADER: message.routing_key}
    if message.user_id:
        headers[ORIGIN_USER_HEADER] = message.user_id
    headers |= {k: message.headers[k] for k in (TRACEPARENT, TRACESTATE) if k in message.headers}
    return headers


def dead_letter_headers(headers: dict[str, Any], queue: str, routing_key: str, reason: str,
                        sender: str | None) -> dict[str, Any]:
    marked = {k: v for k, v in headers.items() if k not in (REPLAY_HEADER, ORIGIN_USER_HEADER)}
    marked |= {REASON_HEADER: reason[:1000], ORIGIN_QUEUE_HEADER: queue, ORIGIN_KEY_HEADER: routing_key,
               DEAD_LETTER_ID_HEADER: str(uuid.uuid4())}
    if sender:
        marked[ORIGIN_USER_HEADER] = sender
    return marked


# 0.2 s, 0.6 s, 1.8 s, … at most 10 s between tries of the same message: the first wait, then tenacity's
# for the tries after the second.
FIRST_RETRY_WAIT = 0.2
LATER_RETRY_WAIT = wait_exponential(multiplier=FIRST_RETRY_WAIT * 3, exp_base=3, max=10)


async def apply_in_place(handler: Handler, delivery: Delivery, attempts: int) -> str | None:
    """Apply a delivery, retrying it in place so nothing queued behind it can overtake it.

    Returns None once applied, or the reason to dead-letter it: the handler rejected it, or it kept failing.
    """
    # The first try goes straight to the handler: building tenacity's retrying for every message was a third
    # of a consumer's CPU, and almost every message is applied at the first try.
    try:
        await handler(delivery)
        return None
    except Rejected as exc:
        return exc.reason
    except Exception as exc:
        if attempts <= 1:
            return _gave_up(delivery, attempts, exc)
        log.warning("message_retried", queue=delivery.queue, attempt=1, error=type(exc).__name__)
    await asyncio.sleep(FIRST_RETRY_WAIT)

    def retried(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        log.warning("message_retried", queue=delivery.queue, attempt=state.attempt_number + 1,
                    error=type(error).__name__)

    try:
        async for attempt in AsyncRetrying(stop=stop_after_attempt(attempts - 1), wait=LATER_RETRY_WAIT,
                                           reraise=True, retry=retry_if_not_exception_type(Rejected),
                                           before_sleep=retried):
            with attempt:
                await handler(delivery)
    except Rejected as exc:
        return exc.reason
    except Exception as exc:
        return _gave_up(delivery, attempts, exc)
    return None


async def apply_batch_in_place(handler: BatchHandler, deliveries: list[Delivery], attempts: int
                               ) -> list[str | None]:
    """Apply deliveries together, or, if that fails, one by one as apply_in_place does; returns, for each, None
    once applied or the reason to dead-letter it."""
    if len(deliveries) > 1:
        try:
            await handler(deliveries)
            return [None] * len(deliveries)
        except Exception as exc:
            log.info("message_batch_split", queue=deliveries[0].queue, messages=len(deliveries),
                     error=type(exc).__name__)

    async def alone(delivery: Delivery) -> None:
        await handler([delivery])

    return [await apply_in_place(alone, delivery, attempts) for delivery in deliveries]


def _gave_up(delivery: Delivery, attempts: int, error: Exception) -> str:
    log.error("message_failed", queue=delivery.queue, routing_key=delivery.routing_key, attempts=attempts,
              exc_info=error)
    return f"failed {attempts} times: {type(error).__name__}"


@dataclass(frozen=True)
class DeadLetterFacts:
    id: str
    queue: str
    routing_key: str
    reason: str
    sender: str | None


_BROKER_REASONS = {
    "delivery_limit": "delivered {count} times without being acknowledged (a consumer kept crashing)",
    "rejected": "rejected by a consumer",
    "expired": "expired before anyone consumed it",
    "maxlen": "dropped from a full queue",
}


def dead_letter_facts(message: RawDelivery) -> DeadLetterFacts:
    """Where a dead letter came from and why, whether the portal or the broker dead-lettered it."""
    headers = message.headers
    if DEAD_LETTER_ID_HEADER in headers:
        sender = headers.get(ORIGIN_USER_HEADER)
        return DeadLetterFacts(str(headers[DEAD_LETTER_ID_HEADER]), str(headers.get(ORIGIN_QUEUE_HEADER, "")),
                               str(headers.get(ORIGIN_KEY_HEADER, message.routing_key)),
                               str(headers.get(REASON_HEADER, "unknown")), str(sender) if sender else None)
    deaths = headers.get("x-death")
    death: dict[str, Any] = deaths[0] if isinstance(deaths, list) and deaths and isinstance(deaths[0], dict) else {}
    queue = str(death.get("queue") or headers.get("x-first-death-queue") or "")
    cause = str(death.get("reason") or headers.get("x-first-death-reason") or "unknown")
    reason = _BROKER_REASONS.get(cause, cause).format(count=death.get("count", "many"))
    fingerprint = message.message_id or hashlib.sha256(message.body).hexdigest()
    identity = f"{queue}|{fingerprint}|{death.get('time', '')}|{death.get('count', '')}"
    return DeadLetterFacts(str(uuid.uuid5(uuid.NAMESPACE_URL, identity)), queue, message.routing_key,
                           f"broker: {reason}", message.user_id)
