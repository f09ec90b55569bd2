import contextvars
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from pydantic import ValidationError
from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential

from ministry_sdk.publisher import DUPLICATES, Backoff, Health, Publisher
from ministry_sdk.store import MemoryStore, MinistryStore, Outgoing
from shared.bus import Bus, Consumer, Delivery, Envelope, QueueMissing, Rejected, connect_bus
from shared.bus.topology import ministry_broker_user, ministry_inbox
from shared.contracts.base import IntegrationEvent
from shared.contracts.ministries import DocumentIssued, MinistryStatus, RequestStatusUpdated
from shared.contracts.requests import RequestStalled, RequestSubmitted
from shared.logging import get_logger
from shared.tracing import TRACEPARENT, TRACESTATE, outgoing_headers

log = get_logger(__name__)

RequestRefused = Rejected
"""Raise it from your handler for a request you can never process: it leaves your queue for the portal's
dead letters, where portal staff see it. Any other exception is retried in place a few times first."""


@dataclass(frozen=True)
class IncomingRequest:
    event_id: str
    request: RequestSubmitted
    redelivered: bool


RequestHandler = Callable[[IncomingRequest], Awaitable[None]]


@dataclass
class _Handling:
    """What a handler publishes while it handles one delivery, kept together with the delivery's event id."""

    events: list[Outgoing] = field(default_factory=list)
    open: bool = True


_HANDLING: contextvars.ContextVar[_Handling | None] = contextvars.ContextVar("ministry_sdk_handling", default=None)


class MinistryClient:
    """One ministry's connection. It reconnects by itself and never drops work while the broker is away.

    store: where handled event ids and unpublished events are kept. `SqliteStore(path)` (recommended) survives a
    crash: a request is acked once its handler's outcome is stored, and published from there. The default
    `MemoryStore` acks a request only once the broker has confirmed everything its handler published.
    """

    def __init__(self, amqp_url: str, ministry: str, *, bus: Bus | None = None, store: MinistryStore | None = None,
                 prefetch: int = 16, backoff: Backoff | None = None) -> None:
        self.ministry = ministry
        self._bus = bus or connect_bus(amqp_url, name=f"ministry-{ministry}", dead_letters_by_broker=True)
        self._store = store or MemoryStore()
        self._publisher = Publisher(self._store, self._bus, ministry, ministry_broker_user(ministry, self._bus.vhost),
                                    backoff)
        self._prefetch = prefetch
        self._consumer: Consumer | None = None

    async def __aenter__(self) -> "MinistryClient":
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def start(self) -> None:
        await self._bus.start()
        self._publisher.start()

    async def close(self, drain_seconds: float = 10.0) -> None:
        """Stop taking requests, publish what is due (for at most `drain_seconds`), then disconnect.

        With a durable store, what is still unpublished stays there and goes out on the next start.
        """
        await self.stop_serving()
        if not await self._publisher.drained(drain_seconds):
            log.warning("ministry_closed_with_pending_events", ministry=self.ministry)
        await self._publisher.stop()
        await self._bus.close()
        await self._store.close()

    async def health(self) -> Health:
        """Whether the broker confirms what is published, and how much waits (also as Prometheus metrics:
        ministry_sdk_publishing, ministry_sdk_pending_events, ministry_sdk_oldest_pending_seconds)."""
        return await self._publisher.health()

    async def serve(self, handler: RequestHandler) -> None:
        """Start handling requests from the ministry's inbox; returns once listening.

        A request is handled once: a delivery whose event id was already handled (a redelivery, or a copy the
        portal published again) is acked without calling the handler. What the handler publishes is kept with
        that record in one step, and the request is acked only after it (see `store`). If the handler raises,
        nothing it published is kept and the request is delivered again.
        """

        async def on_delivery(delivery: Delivery) -> None:
            if delivery.envelope.type == RequestStalled.TYPE:
                # A notice for the ministry's own monitoring (the workspace shows it too): nothing to handle here.
                log.warning("request_stalled_notice", tracking_number=delivery.envelope.subject,
                            status=delivery.envelope.data.get("status"))
                return
            if delivery.envelope.type != RequestSubmitted.TYPE:
                raise RequestRefused(f"ministry {self.ministry} does not handle {delivery.envelope.type!r}")
            try:
                request = RequestSubmitted.model_validate(delivery.envelope.data)
            except ValidationError as exc:
                raise RequestRefused(f"bad {RequestSubmitted.TYPE} payload: {exc.error_count()} errors") from exc
            if await self._store.seen(delivery.envelope.id):
                DUPLICATES.labels(self.ministry).inc()
                log.info("ministry_duplicate_skipped", ministry=self.ministry, event_id=delivery.envelope.id)
                return
            handling = _Handling()
            token = _HANDLING.set(handling)
            try:
                await handler(IncomingRequest(delivery.envelope.id, request, delivery.delivery_count > 0))
            finally:
                handling.open = False
                _HANDLING.reset(token)
            if await self._store.commit(delivery.envelope.id, handling.events):
                await self._kept(handling.events)

        # The portal declares a ministry's inbox once the ministry's first service is published.
        async for attempt in AsyncRetrying(retry=retry_if_exception_type(QueueMissing), reraise=True,
                                           wait=wait_exponential(multiplier=0.1, max=5.0)):
            with attempt:
                self._consumer = await self._bus.consume(ministry_inbox(self.ministry), on_delivery,
                                                         prefetch=self._prefetch, passive=True)
        log.info("ministry_listening", ministry=self.ministry)

    async def stop_serving(self) -> None:
        """Stop taking requests; the one in hand finishes first. Unhandled ones wait in the queue."""
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            await consumer.cancel()

    async def update_status(self, tracking_number: str, status: MinistryStatus, note: str | None = None, *,
                            fields_to_correct: list[str] | None = None, event_id: str | None = None,
                            occurred_at: datetime | None = None, publish_at: datetime | None = None) -> str:
        """Publish the request's new status; returns its event id once it is safe (see below).

        With `action_required`, `fields_to_correct` names the form fields the citizen should answer again.
        `publish_at` holds it back until then (a step that takes time). The event keeps one id however often it
        is sent, so the portal applies it once. Inside a request handler it is kept with the request's record;
        elsewhere it returns once kept in a durable store, or confirmed by the broker with the memory store.
        """
        event = RequestStatusUpdated(tracking_number=tracking_number, status=status, note=note,
                                     fields_to_correct=fields_to_correct or [],
                                     occurred_at=occurred_at or publish_at or datetime.now(UTC))
        return await self._publish(RequestStatusUpdated.TYPE, event, tracking_number, "request.status_updated",
                                   event_id, publish_at)

    async def issue_document(self, national_id: str, document_type: str, number: str, issued_on: date,
                             expires_on: date | None = None, tracking_number: str | None = None, *,
                             event_id: str | None = None, occurred_at: datetime | None = None,
                             publish_at: datetime | None = None) -> str:
        """Publish a document you issued to a citizen (a licence, a registration, a certificate), kept and sent as
        `update_status` is. The portal keeps it on the citizen's record and offers the renewal ahead of
        `expires_on`; it is recorded once however often it is sent.
        """
        event = DocumentIssued(national_id=national_id, document_type=document_type, number=number,
                               issued_on=issued_on, expires_on=expires_on, tracking_number=tracking_number,
                               occurred_at=occurred_at or publish_at or datetime.now(UTC))
        return await self._publish(DocumentIssued.TYPE, event, tracking_number, "document.issued", event_id,
                                   publish_at)

    async def _publish(self, event_type: str, event: IntegrationEvent, subject: str | None, key: str,
                       event_id: str | None, publish_at: datetime | None) -> str:
        trace_context = outgoing_headers()
        envelope = Envelope(type=event_type, source=f"/ministries/{self.ministry}", subject=subject,
                            data=event.model_dump(mode="json"), id=event_id or str(uuid.uuid4()),
                            traceparent=trace_context.get(TRACEPARENT), tracestate=trace_context.get(TRACESTATE))
        outgoing = Outgoing(envelope.id, f"{self.ministry}.{key}", envelope.to_body(),
                            publish_at.timestamp() if publish_at else time.time())
        handling = _HANDLING.get()
        if handling is not None and handling.open:
            handling.events.append(outgoing)
            return envelope.id
        await self._store.commit(None, [outgoing])
        await self._kept([outgoing])
        return envelope.id

    async def _kept(self, events: list[Outgoing]) -> None:
        if self._store.durable:
            self._publisher.wake()
        else:
            await self._publisher.confirmed([e.event_id for e in events])
