import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from pydantic import ValidationError
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential, wait_random

from shared.bus import Bus, Consumer, Delivery, Envelope, PublishFailed, QueueMissing, Rejected, connect_bus
from shared.bus.topology import FROM_MINISTRIES, ministry_broker_user, ministry_inbox
from shared.contracts.base import IntegrationEvent
from shared.contracts.ministries import DocumentIssued, MinistryStatus, RequestStatusUpdated
from shared.contracts.requests import RequestSubmitted
from shared.logging import get_logger

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


class MinistryClient:
    """One ministry's connection: it reconnects by itself, and publishing retries with backoff."""

    def __init__(self, amqp_url: str, ministry: str, *, bus: Bus | None = None, publish_attempts: int = 8,
                 prefetch: int = 16) -> None:
        self.ministry = ministry
        self._bus = bus or connect_bus(amqp_url, name=f"ministry-{ministry}", dead_letters_by_broker=True)
        self._publish_attempts, self._prefetch = publish_attempts, prefetch
        self._consumer: Consumer | None = None

    async def __aenter__(self) -> "MinistryClient":
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def start(self) -> None:
        await self._bus.start()

    async def close(self) -> None:
        await self.stop_serving()
        await self._bus.close()

    async def serve(self, handler: RequestHandler) -> None:
        """Start handling requests from the ministry's inbox; returns once listening.

        A request is acknowledged only after your handler returns, so a crash means it is delivered again
        (with redelivered=True): make the handler idempotent, keyed on the tracking number.
        """

        async def on_delivery(delivery: Delivery) -> None:
            if delivery.envelope.type != RequestSubmitted.TYPE:
                raise RequestRefused(f"ministry {self.ministry} does not handle {delivery.envelope.type!r}")
            try:
                request = RequestSubmitted.model_validate(delivery.envelope.data)
            except ValidationError as exc:
                raise RequestRefused(f"bad {RequestSubmitted.TYPE} payload: {exc.error_count()} errors") from exc
            await handler(IncomingRequest(delivery.envelope.id, request, delivery.delivery_count > 0))

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
                            occurred_at: datetime | None = None) -> str:
        """Publish the request's new status; returns the event id once the broker has confirmed it.

        With `action_required`, `fields_to_correct` names the form fields the citizen should answer again.
        Retries keep the same event id, so the portal applies the update once however often it arrives.
        """
        event = RequestStatusUpdated(tracking_number=tracking_number, status=status, note=note,
                                     fields_to_correct=fields_to_correct or [],
                                     occurred_at=occurred_at or datetime.now(UTC))
        return await self._publish(RequestStatusUpdated.TYPE, event, tracking_number, "request.status_updated",
                                   event_id)

    async def issue_document(self, national_id: str, document_type: str, number: str, issued_on: date,
                             expires_on: date | None = None, tracking_number: str | None = None, *,
                             event_id: str | None = None, occurred_at: datetime | None = None) -> str:
        """Publish a document you issued to a citizen (a licence, a registration, a certificate); returns the
        event id once the broker has confirmed it. The portal keeps it on the citizen's record and offers the
        renewal ahead of `expires_on`. Retries keep the same event id, so it is recorded once.
        """
        event = DocumentIssued(national_id=national_id, document_type=document_type, number=number,
                               issued_on=issued_on, expires_on=expires_on, tracking_number=tracking_number,
                               occurred_at=occurred_at or datetime.now(UTC))
        return await self._publish(DocumentIssued.TYPE, event, tracking_number, "document.issued", event_id)

    async def _publish(self, event_type: str, event: IntegrationEvent, subject: str | None, key: str,
                       event_id: str | None) -> str:
        envelope = Envelope(type=event_type, source=f"/ministries/{self.ministry}", subject=subject,
                            data=event.model_dump(mode="json"), id=event_id or str(uuid.uuid4()))
        async for attempt in AsyncRetrying(retry=retry_if_exception_type(PublishFailed), reraise=True,
                                           stop=stop_after_attempt(self._publish_attempts),
                                           wait=wait_exponential(multiplier=0.2, max=10.0) + wait_random(0, 0.2)):
            with attempt:
                await self._bus.publish(envelope, FROM_MINISTRIES, f"{self.ministry}.{key}",
                                        user_id=ministry_broker_user(self.ministry, self._bus.vhost))
        return envelope.id
