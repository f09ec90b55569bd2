"""Learned next-service suggestions: the citizen's (with their reasons), staff's review of the patterns."""

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from services.requests.api.common import Citizen, D, MinistryCode, MinistryReader, Staff, own_ministry
from services.requests.domain.patterns import Thresholds
from services.requests.handlers import forecasts, insights
from services.requests.store import PatternRow, RunRow
from shared.contracts.base import Bilingual
from shared.web import Problem
from shared.web.spreadsheet import csv_text

router = APIRouter()
Slug = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{1,79}$")]


class Figures(BaseModel):
    citizens: int
    support: float
    confidence: float
    lift: float


class SuggestionView(BaseModel):
    service: str
    ministry: str
    title: Bilingual
    kind: Literal["learned"] = "learned"
    because_of: str
    because_of_title: Bilingual
    reason: Bilingual
    figures: Figures


class Suggestions(BaseModel):
    items: list[SuggestionView]
    dismissed: list[str] = Field(description="Services the citizen set aside: no suggestion offers them again.")
    notices: bool = Field(description="Whether the citizen opted in to a notice of each suggestion, once.")


@router.get("/api/v1/me/suggestions")
async def my_suggestions(citizen: Citizen, deps: D, after: Annotated[str | None, Query(max_length=40)] = None
                         ) -> Suggestions:
    """Up to three services citizens like you went on to need, from patterns staff approved; `after` (a
    tracking number) narrows them to what follows that request."""
    found = await insights.my_suggestions(citizen, deps, after)
    return Suggestions(dismissed=sorted(found.dismissed), notices=found.notices, items=[SuggestionView(
        service=s.service, ministry=s.ministry, title=s.title, because_of=s.because.after,
        because_of_title=s.because_title, reason=s.reason,
        figures=Figures(citizens=s.because.citizens, support=s.because.support, confidence=s.because.confidence,
                        lift=s.because.lift)) for s in found.items])


@router.post("/api/v1/me/suggestions/{service}/dismiss", status_code=204)
async def dismiss_suggestion(service: Slug, citizen: Citizen, deps: D) -> Response:
    await insights.dismiss_suggestion(citizen, service, deps)
    return Response(status_code=204)


class Notices(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(description="Tell me, once per suggestion, when a request I complete is usually "
                                      "followed by another service (off unless I turn it on).")


@router.get("/api/v1/me/suggestions/notices")
async def suggestion_notices(citizen: Citizen, deps: D) -> Notices:
    return Notices(enabled=await insights.suggestion_notices(citizen, deps))


@router.put("/api/v1/me/suggestions/notices")
async def set_suggestion_notices(body: Notices, citizen: Citizen, deps: D) -> Notices:
    return Notices(enabled=await insights.set_suggestion_notices(citizen, body.enabled, deps))


class PatternView(BaseModel):
    after: str
    then: str
    figures: Figures
    state: Literal["proposed", "approved", "off"]
    decided_by: str | None
    decided_at: datetime | None
    trained_at: datetime


class RunView(BaseModel):
    trained_at: datetime
    requests: int
    citizens: int
    patterns: int
    seconds: float


class AutoApproval(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_citizens: int = Field(ge=1, le=10_000_000)
    min_confidence: float = Field(ge=0, le=1)
    min_lift: float = Field(ge=0, le=1000)


class PatternsPage(BaseModel):
    min_citizens: int
    window_days: int
    last_run: RunView | None
    auto_approval: AutoApproval | None
    items: list[PatternView]


def pattern_view(row: PatternRow) -> PatternView:
    p = row.pattern
    return PatternView(after=p.after, then=p.then, figures=Figures(citizens=p.citizens, support=p.support,
                                                                   confidence=p.confidence, lift=p.lift),
                       state=row.state, decided_by=row.decided_by, decided_at=row.decided_at,
                       trained_at=row.trained_at)


def run_view(run: RunRow) -> RunView:
    return RunView(**run.__dict__)


def auto_view(bar: Thresholds | None) -> AutoApproval | None:
    return AutoApproval(min_citizens=bar.min_citizens, min_confidence=bar.min_confidence,
                        min_lift=bar.min_lift) if bar else None


@router.get("/api/v1/admin/insights/patterns")
async def patterns(_: Staff, deps: D, state: Literal["proposed", "approved", "off"] | None = None) -> PatternsPage:
    rows, run, bar = await insights.patterns(deps, state)
    return PatternsPage(min_citizens=deps.learning.min_citizens, window_days=deps.learning.window_days,
                        last_run=run_view(run) if run else None, auto_approval=auto_view(bar),
                        items=[pattern_view(r) for r in rows])


@router.post("/api/v1/admin/insights/patterns/{after}/{then}/approve")
async def approve(after: Slug, then: Slug, staff: Staff, deps: D) -> PatternView:
    return pattern_view(await insights.decide_pattern(after, then, True, staff, deps))


@router.post("/api/v1/admin/insights/patterns/{after}/{then}/switch-off")
async def switch_off(after: Slug, then: Slug, staff: Staff, deps: D) -> PatternView:
    return pattern_view(await insights.decide_pattern(after, then, False, staff, deps))


@router.put("/api/v1/admin/insights/auto-approval")
async def set_auto_approval(body: AutoApproval, staff: Staff, deps: D) -> AutoApproval:
    bar = Thresholds(body.min_citizens, body.min_confidence, body.min_lift)
    return auto_view(await insights.set_auto_approval(bar, staff, deps)) or body


@router.delete("/api/v1/admin/insights/auto-approval", status_code=204)
async def stop_auto_approval(staff: Staff, deps: D) -> Response:
    await insights.set_auto_approval(None, staff, deps)
    return Response(status_code=204)


@router.post("/api/v1/admin/insights/retrain")
async def retrain(_: Staff, deps: D) -> RunView:
    return run_view(await insights.retrain_now(deps))


class WeekView(BaseModel):
    week: date = Field(description="The Sunday that starts the week (Oman's working week).")
    expected: float
    lower: float = Field(description="90 % prediction interval, lower bound.")
    upper: float


class ServiceForecast(BaseModel):
    service: str
    ministry: str
    trained_at: datetime
    weeks: list[WeekView]


class Forecasts(BaseModel):
    items: list[ServiceForecast]


FORECAST_COLUMNS = ("ministry", "service", "week", "expected", "lower", "upper", "trained_at")


@router.get("/api/v1/ministry/forecast", response_model=None, responses={200: {"model": Forecasts, "content": {
    "text/csv": {"schema": {"type": "string"}}}, "description": "JSON, or CSV with format=csv"}})
async def forecast(reader: MinistryReader, deps: D, format: Literal["json", "csv"] = "json",
                   ministry: MinistryCode = None) -> Forecasts | Response:
    """Each service's expected requests per week for the next eight weeks, with 90 % intervals, made when the
    portal retrains; a service with under 60 weeks of history has none. Portal staff see every ministry's, or the
    one named in `?ministry=`."""
    if reader.role != "admin":
        if ministry is not None and ministry != own_ministry(reader):
            raise Problem(403, "wrong-ministry", "A ministry sees only its own forecast.")
        ministry = own_ministry(reader)
    rows = await forecasts.forecasts(deps, ministry)
    if format == "csv":
        lines = [FORECAST_COLUMNS, *([r.ministry, r.service, r.week.isoformat(), round(r.expected, 1),
                                      round(r.lower, 1), round(r.upper, 1), r.trained_at.isoformat()] for r in rows)]
        return Response(csv_text(lines), media_type="text/csv; charset=utf-8",
                        headers={"content-disposition": 'attachment; filename="forecast.csv"'})
    grouped: dict[tuple[str, str], ServiceForecast] = {}
    for r in rows:
        grouped.setdefault((r.ministry, r.service), ServiceForecast(
            service=r.service, ministry=r.ministry, trained_at=r.trained_at, weeks=[])).weeks.append(
            WeekView(week=r.week, expected=r.expected, lower=r.lower, upper=r.upper))
    return Forecasts(items=list(grouped.values()))
