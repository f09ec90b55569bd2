"""A ministry with a system of its own, simulated: it reads its inbox and answers with status events."""

import asyncio
import random
from datetime import UTC, datetime

from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential

from shared.bus import Bus, Delivery, Envelope, PublishFailed, QueueMissing, Rejected
from shared.bus.topology import FROM_MINISTRIES, ministry_broker_user, ministry_inbox
from shared.contracts.ministries import RequestStatusUpdated
from shared.contracts.requests import RequestSubmitted
from shared.logging import get_logger

log = get_logger(__name__)
JOURNEY = ("in_review", "approved", "completed")
NOTES = {"approved": "تمت الموافقة / Approved", "completed": "صدرت الوثيقة / Document issued"}


class SimulatedMinistry:
    def __init__(self, bus: Bus, code: str, delay_seconds: float = 1.0) -> None:
        self._bus, self._code, self._delay = bus, code, delay_seconds
        self._journeys: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Returns once listening; until then it keeps trying, as a ministry's own system would."""
        # The portal declares a ministry's inbox once it knows the ministry; until then, keep asking.
        async for attempt in AsyncRetrying(retry=retry_if_exception_type(QueueMissing), reraise=True,
                                           wait=wait_exponential(multiplier=0.1, max=5.0)):
            with attempt:
                await self._bus.consume(ministry_inbox(self._code), self._on_request, prefetch=16, passive=True)
        log.info("simulated_ministry_listening", ministry=self._code)

    async def report(self, tracking_number: str, status: str) -> None:
        event = RequestStatusUpdated(tracking_number=tracking_number, status=status,
                                     note=NOTES.get(status), occurred_at=datetime.now(UTC))
        envelope = Envelope(type=RequestStatusUpdated.TYPE, source=f"/ministries/{self._code}",
                            subject=tracking_number, data=event.model_dump(mode="json"))
        await self._bus.publish(envelope, FROM_MINISTRIES, f"{self._code}.request.status_updated",
                                user_id=ministry_broker_user(self._code))

    async def _on_request(self, delivery: Delivery) -> None:
        if delivery.envelope.type != RequestSubmitted.TYPE:
            raise Rejected(f"the ministry does not handle {delivery.envelope.type!r}")
        request = RequestSubmitted.model_validate(delivery.envelope.data)
        # Acknowledge receipt before the message is acked, so a crash never leaves a request unanswered.
        await self.report(request.tracking_number, "received")
        task = asyncio.create_task(self._journey(request.tracking_number))
        self._journeys.add(task)
        task.add_done_callback(self._journeys.discard)

    async def _journey(self, tracking_number: str) -> None:
        for status in JOURNEY:
            await asyncio.sleep(self._delay * random.uniform(0.5, 1.5))  # noqa: S311
            try:
                await self.report(tracking_number, status)
            except PublishFailed:
                log.exception("simulated_status_failed", status=status)
                return
