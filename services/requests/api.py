from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from services.requests import handlers
from services.requests.domain import RequestError
from services.requests.handlers import Deps
from services.requests.store import HistoryRow, RequestRow
from shared.auth import Identity, require_identity
from shared.contracts.base import SafeText
from shared.contracts.ministries import MinistryStatus
from shared.web import Problem

router = APIRouter()

Citizen = Annotated[Identity, Depends(require_identity("citizen"))]
Viewer = Annotated[Identity, Depends(require_identity("citizen", "ministry", "officer", "service_manager",
                                                      "admin"))]
MinistryActor = Annotated[Identity, Depends(require_identity("ministry", "officer"))]


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
    open_ = row.status not in ("completed", "cancelled", "approved", "rejected")
    return RequestView(
        tracking_number=row.tracking_number, service=row.service, ministry=row.ministry, status=row.status,
        submitted_at=row.submitted_at, updated_at=row.updated_at, due_on=row.due_on,
        overdue=open_ and now is not None and now > row.due_on,
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
