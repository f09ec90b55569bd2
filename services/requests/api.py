import json
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from services.requests import handlers
from services.requests.domain import RequestError, Status, is_overdue
from services.requests.handlers import Deps
from services.requests.store import DeadLetterRow, HistoryRow, RequestRow
from shared.auth import Identity, require_identity
from shared.contracts.base import SafeText
from shared.contracts.ministries import MinistryStatus
from shared.web import Problem

router = APIRouter()

Citizen = Annotated[Identity, Depends(require_identity("citizen"))]
Viewer = Annotated[Identity, Depends(require_identity("citizen", "ministry", "officer", "service_manager",
                                                      "admin"))]
MinistryActor = Annotated[Identity, Depends(require_identity("ministry", "officer"))]
MinistryReader = Annotated[Identity, Depends(require_identity("ministry", "officer", "service_manager"))]
Staff = Annotated[Identity, Depends(require_identity("admin"))]
Page = Annotated[int, Query(ge=1, le=10_000)]


def get_deps(request: Request) -> Deps:
    deps: Deps = request.app.state.deps
    return deps


D = Annotated[Deps, Depends(get_deps)]


def problem(error: Exception) -> Problem:
    assert isinstance(error, RequestError)
    return Problem(error.status, error.code, error.detail, **error.extra)


class SubmitBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: str = Field(min_length=1, max_length=80, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    fields: dict[str, Any] = Field(default_factory=dict, max_length=100)


class RespondBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: SafeText = Field(min_length=1, max_length=2000)
    fields: dict[str, Any] = Field(default_factory=dict, max_length=100)


class StatusBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: MinistryStatus
    note: SafeText | None = Field(default=None, max_length=2000)


class HistoryItem(BaseModel):
    status: str
    previous_status: str | None
    actor: str
    note: str | None
    at: datetime
    applied: bool


class RequestView(BaseModel):
    tracking_number: str
    service: str
    ministry: str
    status: str
    submitted_at: datetime
    updated_at: datetime
    due_on: datetime
    overdue: bool
    fields: dict[str, Any] | None = None
    history: list[HistoryItem] | None = None


def view(row: RequestRow, history: list[HistoryRow] | None = None, *, with_fields: bool = False,
         now: datetime | None = None) -> RequestView:
    return RequestView(
        tracking_number=row.tracking_number, service=row.service, ministry=row.ministry, status=row.status,
        submitted_at=row.submitted_at, updated_at=row.updated_at, due_on=row.due_on,
        overdue=now is not None and is_overdue(row.status, row.due_on, now),
        fields=row.fields if with_fields else None,
        history=[HistoryItem(**h.__dict__) for h in history] if history is not None else None)


@router.post("/api/v1/requests", status_code=201)
async def submit_request(body: SubmitBody, citizen: Citizen, deps: D) -> dict[str, str]:
    row = await handlers.submit_request(handlers.SubmitRequest(body.service, body.fields, citizen), deps)
    return {"tracking_number": row.tracking_number, "status": row.status}


@router.get("/api/v1/requests")
async def my_requests(citizen: Citizen, deps: D, page: Annotated[int, Query(ge=1, le=1000)] = 1
                      ) -> dict[str, Any]:
    rows = await handlers.my_requests(citizen, deps, limit=50, offset=(page - 1) * 50)
    now = deps.clock()
    return {"page": page, "items": [view(r, now=now) for r in rows]}


@router.get("/api/v1/requests/{tracking_number}")
async def request_detail(tracking_number: str, viewer: Viewer, deps: D) -> RequestView:
    row, history = await handlers.request_detail(tracking_number, viewer, deps)
    return view(row, history, with_fields=True, now=deps.clock())


@router.post("/api/v1/requests/{tracking_number}/cancel")
async def cancel_request(tracking_number: str, citizen: Citizen, deps: D) -> RequestView:
    row = await handlers.cancel_request(handlers.CancelRequest(tracking_number, citizen), deps)
    return view(row, now=deps.clock())


@router.post("/api/v1/requests/{tracking_number}/respond")
async def respond_to_request(tracking_number: str, body: RespondBody, citizen: Citizen, deps: D) -> RequestView:
    row = await handlers.respond_to_request(
        handlers.RespondToRequest(tracking_number, citizen, body.note, body.fields), deps)
    return view(row, now=deps.clock())


@router.post("/api/v1/ministry/requests/{tracking_number}/status")
async def report_status(tracking_number: str, body: StatusBody, actor: MinistryActor, deps: D) -> dict[str, str]:
    assert actor.ministry is not None
    outcome = await handlers.report_status(
        handlers.ReportStatus(tracking_number, body.status, body.note, actor.ministry), deps)
    return {"outcome": outcome.value}


class MinistryQueue(BaseModel):
    total: int
    page: int
    items: list[RequestView]


@router.get("/api/v1/ministry/requests")
async def ministry_requests(actor: MinistryReader, deps: D, page: Page = 1, status: Status | None = None,
                            service: Annotated[str | None, Query(max_length=80)] = None,
                            overdue: bool = False) -> MinistryQueue:
    """The ministry's own requests, those due first; `overdue=true` keeps the undecided ones past their due date."""
    assert actor.ministry is not None
    total, rows = await handlers.ministry_requests(handlers.MinistryQueueQuery(
        actor.ministry, status, service, overdue, limit=50, offset=(page - 1) * 50), deps)
    now = deps.clock()
    return MinistryQueue(total=total, page=page, items=[view(r, now=now) for r in rows])


class OverdueCount(BaseModel):
    ministry: str
    service: str
    overdue: int


class OverdueReport(BaseModel):
    total: int
    services: list[OverdueCount]


def overdue_report(counts: list[tuple[str, str, int]]) -> OverdueReport:
    return OverdueReport(total=sum(n for *_, n in counts),
                         services=[OverdueCount(ministry=m, service=s, overdue=n) for m, s, n in counts])


@router.get("/api/v1/admin/requests/overdue")
async def overdue_requests(_: Staff, deps: D, ministry: Annotated[str | None, Query(max_length=16)] = None
                           ) -> OverdueReport:
    """Undecided requests past their due date, counted per ministry and service (most overdue first)."""
    return overdue_report(await handlers.overdue_requests(ministry, deps))


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
