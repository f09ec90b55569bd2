"""A ministry with a system of its own, simulated with the ministry SDK: it answers every request it receives,
and when a request is completed it issues the document the service produces (so renewals come round in time).

The whole journey of a request is decided when it arrives and handed to the SDK at once, each step held back until
its time (`publish_at`): with a durable store, a simulator killed at any moment resumes every journey on restart.
"""

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ministry_sdk import IncomingRequest, MinistryClient
from shared.contracts.ministries import MinistryStatus

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

    async def start(self) -> None:
        """Returns once listening; until the portal has declared the inbox, it keeps trying."""
        await self._client.serve(self._on_request)

    async def _on_request(self, incoming: IncomingRequest) -> None:
        tracking_number = incoming.request.tracking_number
        await self._client.update_status(tracking_number, "received")
        at = datetime.now(UTC)
        for status in JOURNEY:
            at += timedelta(seconds=self._delay * random.uniform(0.5, 1.5))  # noqa: S311
            if status == "completed":
                await self._issue(incoming, at)
            await self._client.update_status(tracking_number, status, NOTES.get(status), publish_at=at)

    async def _issue(self, incoming: IncomingRequest, at: datetime) -> None:
        issues = DOCUMENTS.get(incoming.request.service)
        if issues is None:
            return
        today = at.date()
        await self._client.issue_document(
            incoming.request.applicant.national_id, issues.document_type,
            document_number(incoming.request.tracking_number), today,
            expires_on=today + timedelta(days=issues.valid_days) if issues.valid_days else None,
            tracking_number=incoming.request.tracking_number, publish_at=at)
