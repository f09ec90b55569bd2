"""A ministry with a system of its own, simulated with the ministry SDK: it answers every request it receives,
and when a request is completed it issues the document the service produces (so renewals come round in time)."""

import asyncio
import random
from dataclasses import dataclass
from datetime import date, timedelta

from ministry_sdk import IncomingRequest, MinistryClient
from shared.bus import PublishFailed
from shared.contracts.ministries import MinistryStatus
from shared.logging import get_logger

log = get_logger(__name__)
JOURNEY: tuple[MinistryStatus, ...] = ("in_review", "approved", "completed")
NOTES = {"approved": "تمت الموافقة / Approved", "completed": "صدرت الوثيقة / Document issued"}


@dataclass(frozen=True)
class Issues:
    document_type: str
    valid_days: int | None


# What the seeded services produce, with the validity a ministry gives them; None never expires.
DOCUMENTS = {
    "renew-driving-licence": Issues("driving_licence", 10 * 365),
    "replace-lost-driving-licence": Issues("driving_licence", 10 * 365),
    "renew-vehicle-registration": Issues("vehicle_registration", 365),
    "transfer-vehicle-ownership": Issues("vehicle_registration", 365),
    "register-new-vehicle": Issues("vehicle_registration", 365),
    "issue-renew-passport": Issues("passport", 7 * 365),
    "issue-renew-civil-id-card": Issues("civil_id", 5 * 365),
    "replace-lost-civil-id": Issues("civil_id", 5 * 365),
    "renew-resident-card": Issues("resident_card", 2 * 365),
    "issue-birth-certificate": Issues("birth_certificate", None),
    "renew-municipal-licence": Issues("municipal_licence", 365),
}


def document_number(tracking_number: str) -> str:
    """A number the document would carry: the request's ministry and sequence, e.g. ROP-2026-000042-8 → ROP26000042."""
    ministry, year, sequence, _ = tracking_number.split("-")
    return f"{ministry}{year[2:]}{sequence}"


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
        task = asyncio.create_task(self._journey(incoming))
        self._journeys.add(task)
        task.add_done_callback(self._journeys.discard)

    async def _journey(self, incoming: IncomingRequest) -> None:
        tracking_number = incoming.request.tracking_number
        for status in JOURNEY:
            await asyncio.sleep(self._delay * random.uniform(0.5, 1.5))  # noqa: S311
            try:
                if status == "completed":
                    await self._issue(incoming)
                await self._client.update_status(tracking_number, status, NOTES.get(status))
            except PublishFailed:
                log.exception("simulated_status_failed", status=status)
                return

    async def _issue(self, incoming: IncomingRequest) -> None:
        issues = DOCUMENTS.get(incoming.request.service)
        if issues is None:
            return
        today = date.today()
        await self._client.issue_document(
            incoming.request.applicant.national_id, issues.document_type,
            document_number(incoming.request.tracking_number), today,
            expires_on=today + timedelta(days=issues.valid_days) if issues.valid_days else None,
            tracking_number=incoming.request.tracking_number)
