from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from services.requests import handlers
from services.requests.api.common import Citizen, D, Staff, Viewer
from services.requests.api.views import RequestView, view
from services.requests.domain.idempotency import parse_idempotency_key
from shared.contracts.base import SafeText
from shared.web import Problem

router = APIRouter()


class SubmitBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: str = Field(min_length=1, max_length=80, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    fields: dict[str, Any] = Field(default_factory=dict, max_length=100)


class RespondBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: SafeText = Field(min_length=1, max_length=2000)
    fields: dict[str, Any] = Field(default_factory=dict, max_length=100)


class RatingBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    score: int = Field(ge=1, le=5)
    comment: SafeText | None = Field(default=None, max_length=1000)


@router.post("/api/v1/requests", status_code=201)
async def submit_request(body: SubmitBody, citizen: Citizen, deps: D, response: Response,
                         idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key",
                                                                       max_length=1000)] = None) -> dict[str, str]:
    """With an Idempotency-Key, the same key and answers within 24 hours return the first answer (marked
    Idempotent-Replayed) instead of a second request; the same key with other answers is 409."""
    key = None
    if idempotency_key is not None:
        key = parse_idempotency_key(idempotency_key)
        if key is None:
            raise Problem(400, "idempotency-key-invalid", "An Idempotency-Key is 1 to 255 printable ASCII characters.")
    submitted = await handlers.submit_request(handlers.SubmitRequest(body.service, body.fields, citizen, key), deps)
    if submitted.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return {"tracking_number": submitted.tracking_number, "status": submitted.status}


@router.get("/api/v1/requests")
async def my_requests(citizen: Citizen, deps: D, page: Annotated[int, Query(ge=1, le=1000)] = 1
                      ) -> dict[str, Any]:
    infos = await handlers.my_requests(citizen, deps, limit=50, offset=(page - 1) * 50)
    now = deps.clock()
    return {"page": page, "items": [view(i, citizen, now) for i in infos]}


@router.get("/api/v1/requests/{tracking_number}")
async def request_detail(tracking_number: str, viewer: Viewer, deps: D) -> RequestView:
    info = await handlers.request_detail(tracking_number, viewer, deps)
    return view(info, viewer, deps.clock(), with_fields=True)


@router.post("/api/v1/requests/{tracking_number}/cancel")
async def cancel_request(tracking_number: str, citizen: Citizen, deps: D) -> RequestView:
    row = await handlers.cancel_request(handlers.CancelRequest(tracking_number, citizen), deps)
    return view(handlers.RequestInfo(row), citizen, deps.clock())


@router.post("/api/v1/requests/{tracking_number}/respond")
async def respond_to_request(tracking_number: str, body: RespondBody, citizen: Citizen, deps: D) -> RequestView:
    row = await handlers.respond_to_request(
        handlers.RespondToRequest(tracking_number, citizen, body.note, body.fields), deps)
    return view(handlers.RequestInfo(row), citizen, deps.clock())


@router.post("/api/v1/requests/{tracking_number}/rating", status_code=201)
async def rate_request(tracking_number: str, body: RatingBody, citizen: Citizen, deps: D) -> dict[str, Any]:
    canonical = await handlers.rate_request(handlers.RateRequest(tracking_number, citizen, body.score,
                                                                 body.comment), deps)
    return {"tracking_number": canonical, "score": body.score}


class OverdueCount(BaseModel):
    ministry: str
    service: str
    overdue: int


class OverdueReport(BaseModel):
    total: int
    services: list[OverdueCount]


class StalledCount(BaseModel):
    ministry: str
    service: str
    stalled: int


class StalledReport(BaseModel):
    total: int
    services: list[StalledCount]


def overdue_report(counts: list[tuple[str, str, int]]) -> OverdueReport:
    return OverdueReport(total=sum(n for *_, n in counts),
                         services=[OverdueCount(ministry=m, service=s, overdue=n) for m, s, n in counts])


@router.get("/api/v1/admin/requests/stalled")
async def stalled_requests(_: Staff, deps: D, ministry: Annotated[str | None, Query(max_length=16)] = None
                           ) -> StalledReport:
    """Requests with no status change for longer than their expected step time, per ministry and service."""
    counts = await handlers.stalled_requests(ministry, deps)
    return StalledReport(total=sum(n for *_, n in counts),
                         services=[StalledCount(ministry=m, service=sv, stalled=n) for m, sv, n in counts])


@router.get("/api/v1/admin/requests/overdue")
async def overdue_requests(_: Staff, deps: D, ministry: Annotated[str | None, Query(max_length=16)] = None
                           ) -> OverdueReport:
    """Undecided requests past their due date, counted per ministry and service (most overdue first)."""
    return overdue_report(await handlers.overdue_requests(ministry, deps))
