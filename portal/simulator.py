"""A ministry with a system of its own, simulated with the ministry SDK: it answers every request it receives."""

import asyncio
import random

from ministry_sdk import IncomingRequest, MinistryClient
from shared.bus import PublishFailed
from shared.contracts.ministries import MinistryStatus
from shared.logging import get_logger

log = get_logger(__name__)
JOURNEY: tuple[MinistryStatus, ...] = ("in_review", "approved", "completed")
NOTES = {"approved": "تمت الموافقة / Approved", "completed": "صدرت الوثيقة / Document issued"}


class SimulatedMinistry:
    def __init__(self, client: MinistryClient, delay_seconds: float = 1.0) -> None:
        self._client, self._delay = client, delay_seconds
        self._journeys: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Returns once listening; until the portal has declared the inbox, it keeps trying."""
        await self._client.serve(self._on_request)

    async def _on_request(self, incoming: IncomingRequest) -> None:
        tracking_number = incoming.request.tracking_number
        # Acknowledge receipt before the message is acked, so a crash never leaves a request unanswered.
        await self._client.update_status(tracking_number, "received")
        task = asyncio.create_task(self._journey(tracking_number))
        self._journeys.add(task)
        task.add_done_callback(self._journeys.discard)

    async def _journey(self, tracking_number: str) -> None:
        for status in JOURNEY:
            await asyncio.sleep(self._delay * random.uniform(0.5, 1.5))  # noqa: S311
            try:
                await self._client.update_status(tracking_number, status, NOTES.get(status))
            except PublishFailed:
                log.exception("simulated_status_failed", status=status)
                return
