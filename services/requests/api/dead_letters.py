import json
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from services.requests import handlers
from services.requests.api.common import D, Page, Staff
from services.requests.store import DeadLetterRow
from shared.contracts.base import SafeText

router = APIRouter()


class DeadLetterView(BaseModel):
    id: str
    queue: str
    routing_key: str
    reason: str
    sender: str | None
    event_type: str | None
    subject: str | None
    received_at: datetime
    status: str
    resolved_at: datetime | None
    resolved_by: str | None
    resolution_note: str | None
    message: Any = None


def dead_letter_view(row: DeadLetterRow, *, with_message: bool = False) -> DeadLetterView:
    message: Any = None
    if with_message:
        try:
            message = json.loads(row.body)
        except (ValueError, UnicodeDecodeError):
            message = row.body.decode("utf-8", "replace")
    return DeadLetterView(id=row.id, queue=row.queue, routing_key=row.routing_key, reason=row.reason,
                          sender=row.sender, event_type=row.event_type, subject=row.subject,
                          received_at=row.received_at, status=row.status, resolved_at=row.resolved_at,
                          resolved_by=row.resolved_by, resolution_note=row.resolution_note, message=message)


class DeadLetterPage(BaseModel):
    total: int
    page: int
    pending_per_queue: dict[str, int]
    items: list[DeadLetterView]


DeadLetterStatus = Literal["pending", "replayed", "discarded", "all"]
QueueName = Annotated[str, Query(min_length=1, max_length=255)]


@router.get("/api/v1/admin/dead-letters")
async def list_dead_letters(_: Staff, deps: D, page: Page = 1, queue: QueueName | None = None,
                            status: DeadLetterStatus = "pending") -> DeadLetterPage:
    total, per_queue, rows = await handlers.list_dead_letters(handlers.DeadLetterQuery(
        queue, None if status == "all" else status, limit=50, offset=(page - 1) * 50), deps)
    return DeadLetterPage(total=total, page=page, pending_per_queue=per_queue,
                          items=[dead_letter_view(r) for r in rows])


class ResolveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: SafeText | None = Field(default=None, max_length=2000)


class ReplayQueueBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    queue: str = Field(min_length=1, max_length=255)


@router.post("/api/v1/admin/dead-letters/replay")
async def replay_queue(body: ReplayQueueBody, staff: Staff, deps: D) -> dict[str, int]:
    return {"replayed": await handlers.replay_queue(body.queue, staff.subject, deps)}


@router.get("/api/v1/admin/dead-letters/{id_}")
async def dead_letter(id_: str, _: Staff, deps: D) -> DeadLetterView:
    return dead_letter_view(await handlers.dead_letter(id_, deps), with_message=True)


@router.post("/api/v1/admin/dead-letters/{id_}/replay")
async def replay_dead_letter(id_: str, staff: Staff, deps: D, body: ResolveBody | None = None) -> DeadLetterView:
    note = body.note if body else None
    return dead_letter_view(await handlers.replay_dead_letter(handlers.ResolveDeadLetter(id_, staff.subject, note),
                                                              deps))


@router.post("/api/v1/admin/dead-letters/{id_}/discard")
async def discard_dead_letter(id_: str, staff: Staff, deps: D, body: ResolveBody | None = None) -> DeadLetterView:
    note = body.note if body else None
    return dead_letter_view(await handlers.discard_dead_letter(handlers.ResolveDeadLetter(id_, staff.subject, note),
                                                               deps))
