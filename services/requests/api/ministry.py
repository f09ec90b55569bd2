"""The ministry's side: its system (API key) and its staff in the workspace (officers act, managers read)."""

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from services.requests import handlers
from services.requests.api.common import (
    D,
    MinistryActor,
    MinistryCode,
    MinistryReader,
    Officer,
    Page,
    ministry_read_by,
    own_ministry,
)
from services.requests.api.views import RequestView, view
from services.requests.domain import Invalid, Status
from services.requests.domain.kpis import Period
from shared.contracts.base import MONTH_PATTERN, Day, SafeText
from shared.contracts.ministries import MinistryStatus
from shared.web.spreadsheet import csv_text

router = APIRouter()

DocumentType = Annotated[str, Field(min_length=2, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]
DocumentNumber = Annotated[SafeText, Field(min_length=1, max_length=64)]
FieldName = Annotated[str, Field(min_length=1, max_length=80)]


class DocumentBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document_type: DocumentType
    number: DocumentNumber
    issued_on: Day
    expires_on: Day | None = None


class StatusBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: MinistryStatus
    note: SafeText | None = Field(default=None, max_length=2000)
    fields_to_correct: list[FieldName] = Field(default_factory=list, max_length=100)
    expected_status: Status | None = None
    document: DocumentBody | None = None


@router.post("/api/v1/ministry/requests/{tracking_number}/status")
async def report_status(tracking_number: str, body: StatusBody, actor: MinistryActor, deps: D) -> dict[str, str]:
    ministry = own_ministry(actor)
    document = body.document
    reported = await handlers.report_status(handlers.ReportStatus(
        tracking_number, body.status, body.note, ministry, fields_to_correct=tuple(body.fields_to_correct),
        expected_status=body.expected_status,
        document=handlers.IssuedDocument(document.document_type, document.number, document.issued_on,
                                         document.expires_on) if document else None,
        officer=actor if actor.role == "officer" else None), deps)
    return {"outcome": reported.outcome.value, "status": reported.status}


class AssignBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assignee: Literal["me"] | None
    expected_assignee: str | None = Field(default=None, max_length=100)


@router.post("/api/v1/ministry/requests/{tracking_number}/assign")
async def assign_request(tracking_number: str, body: AssignBody, officer: Officer, deps: D) -> RequestView:
    info = await handlers.assign_request(handlers.AssignRequest(
        tracking_number, officer, body.assignee == "me", body.expected_assignee,
        check_expected="expected_assignee" in body.model_fields_set), deps)
    return view(info, officer, deps.clock())


class MinistryQueue(BaseModel):
    total: int = Field(description="Requests matching the filter, capped at `count_limit`.")
    page: int
    counts: dict[str, int] = Field(description="Each tab's count (per status, overdue, assigned_to_me, unassigned, "
                                               "stalled), capped at `count_limit`.")
    count_limit: int = Field(description="Counts stop there, whatever the store's size: a count or total below it "
                                         "is exact, one equal to it means at least that many.")
    items: list[RequestView]


@router.get("/api/v1/ministry/requests")
async def ministry_requests(reader: MinistryReader, deps: D, page: Page = 1, status: Status | None = None,
                            service: Annotated[str | None, Query(max_length=80)] = None, overdue: bool = False,
                            assigned: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
                            ministry: MinistryCode = None, stalled: bool = False) -> MinistryQueue:
    """The ministry's own requests, due first, 50 a page; counts cover the ministry's (or the service's) queue,
    each exact up to `count_limit` (a value equal to it means at least that many).
    `stalled=true`: only those with no status change for longer than their expected step time.
    Portal staff read any ministry's queue with `?ministry=`."""
    queue = await handlers.ministry_requests(handlers.MinistryQueueQuery(
        ministry_read_by(reader, ministry), status, service, overdue, assigned,
        viewer=reader.subject if reader.role != "ministry" else None, limit=50, offset=(page - 1) * 50,
        stalled=stalled), deps)
    now = deps.clock()
    return MinistryQueue(total=queue.total, page=page, counts=queue.counts.by_tab(), count_limit=queue.counts.limit,
                         items=[view(i, reader, now) for i in queue.items])


class IssueDocumentBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    national_id: str = Field(pattern=r"^\d{6,10}$")
    document_type: DocumentType
    number: DocumentNumber
    issued_on: Day
    expires_on: Day | None = None
    tracking_number: str | None = Field(default=None, max_length=40)


@router.post("/api/v1/ministry/documents", status_code=201, responses={200: {
    "description": "Already recorded: the same id", "content": {"application/json": {"schema": {
        "type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}}}}})
async def issue_document(body: IssueDocumentBody, actor: MinistryActor, deps: D, response: Response
                         ) -> dict[str, str]:
    """Created (201), or the same id (200) when the ministry already recorded this document type and number."""
    ministry = own_ministry(actor)
    id_, new = await handlers.issue_document(handlers.IssueDocument(
        ministry, body.national_id, body.document_type, body.number, body.issued_on, body.expires_on,
        body.tracking_number), deps)
    if not new:
        response.status_code = 200
    return {"id": id_}


Channel = Literal["service_centre", "ministry_office", "call_centre", "post"]


class ChannelCountBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: str = Field(min_length=1, max_length=80, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    month: str = Field(pattern=MONTH_PATTERN)
    channel: Channel
    completed: int = Field(ge=0, le=10_000_000)


@router.post("/api/v1/ministry/channel-counts")
async def report_channel_count(body: ChannelCountBody, actor: MinistryActor, deps: D) -> dict[str, Any]:
    ministry = own_ministry(actor)
    await handlers.report_channel_count(handlers.ReportChannelCount(
        ministry, body.service, date.fromisoformat(f"{body.month}-01"), body.channel, body.completed), deps)
    return body.model_dump()


def period_of(start: date | None, end: date | None, today: date) -> Period:
    end = end or today
    start = start or end - timedelta(days=365)
    if end < start:
        raise Invalid("period-invalid", "`from` must be on or before `to`.")
    if (end - start).days > 3660:
        raise Invalid("period-invalid", "A period spans at most ten years.")
    return Period(start, end)


SERVICE_LOAD_COLUMNS = ("service", "open", "overdue", "decided", "median_handling_hours")
OFFICER_LOAD_COLUMNS = ("officer", "officer_name", "assigned_open", "overdue", "decided", "median_handling_hours")
From = Annotated[Day | None, Query(alias="from")]
To = Annotated[Day | None, Query(alias="to")]


@router.get("/api/v1/ministry/workload", response_model=None, responses={200: {"content": {
    "text/csv": {"schema": {"type": "string"}}}, "description": "JSON, or CSV with format=csv"}})
async def workload(reader: MinistryReader, deps: D, start: From = None, end: To = None,
                   format: Literal["json", "csv"] = "json", ministry: MinistryCode = None) -> dict[str, Any] | Response:
    """Per service and per officer: open and overdue now, decided in the period, median handling hours."""
    load = await handlers.workload(ministry_read_by(reader, ministry), period_of(start, end, deps.clock().date()),
                                   deps)
    services = [s.__dict__ for s in load.services]
    officers = [o.__dict__ for o in load.officers]
    if format == "json":
        return {"services": services, "officers": officers}
    lines: list[Sequence[object]] = []
    for kind, rows in (("services", services), ("officers", officers)):
        columns = list(SERVICE_LOAD_COLUMNS if kind == "services" else OFFICER_LOAD_COLUMNS)
        lines += [[kind], columns, *([row[c] for c in columns] for row in rows)]
    return Response(csv_text(lines), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": 'attachment; filename="workload.csv"'})
