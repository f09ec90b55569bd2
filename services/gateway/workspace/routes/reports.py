"""Workload (per service and per officer, with a CSV download) and portal staff's onboarding views."""

from datetime import date
from typing import Any

from fastapi import APIRouter, Request, Response

from services.gateway import handlers
from services.gateway.workspace.access import Refused, ministry_in_view, pages_of, signed_in
from services.gateway.workspace.calls import read, refused_by
from services.gateway.workspace.charts import forecast_chart
from services.gateway.workspace.render import WorkspaceRoute, render
from services.gateway.workspace.staff import ADMINS, READERS
from shared.auth import Identity

router = APIRouter(prefix="/workspace", route_class=WorkspaceRoute, include_in_schema=False)


def _period(from_: str, to: str) -> dict[str, str]:
    period: dict[str, str] = {}
    for key, raw in (("from", from_), ("to", to)):
        if raw:
            try:
                period[key] = date.fromisoformat(raw[:10]).isoformat()
            except ValueError as exc:
                raise Refused(422, "bad_period") from exc
    return period


def _params(who: Identity, shown: str, period: dict[str, str]) -> dict[str, Any]:
    return period | ({"ministry": shown} if who.role == "admin" else {})


@router.get("/workload")
async def workload(request: Request, ministry: str = "", to: str = "") -> Response:
    pages = pages_of(request)
    who = await signed_in(request, pages, READERS)
    if isinstance(who, Response):
        return who
    shown = ministry_in_view(who, ministry[:16])
    if shown is None:
        return render(request, pages, "choose_ministry.html", {"target": "/workspace/workload"}, who)
    period = _period(request.query_params.get("from", ""), to)
    found = await read(pages, "requests", "/api/v1/ministry/workload", who, _params(who, shown, period))
    try:
        ahead = await read(pages, "requests", "/api/v1/ministry/forecast", who, _params(who, shown, {}))
    except Refused:
        ahead = None  # the workload stands without its forecast
    forecasts = [f | {"chart": forecast_chart(f["weeks"])} for f in ahead["items"]] if ahead else None
    return render(request, pages, "workload.html", {"found": found, "ministry": shown, "period": period,
                                                    "forecasts": forecasts}, who)


async def _csv(request: Request, path: str, ministry: str, name: str, period: dict[str, str] | None = None,
               everyone: bool = False) -> Response:
    """A CSV download of the requests service's, for the staff member's ministry (portal staff name one, or ask
    for every ministry's where `everyone` allows)."""
    pages = pages_of(request)
    who = await signed_in(request, pages, READERS)
    if isinstance(who, Response):
        return who
    shown = ministry_in_view(who, ministry[:16])
    if shown is None and not everyone:
        raise Refused(422, "choose_ministry")
    params = (period or {}) | ({"ministry": shown} if who.role == "admin" and shown else {}) | {"format": "csv"}
    response = await handlers.call_upstream(pages.deps, "requests", "GET", path, params=params,
                                            headers=handlers.signed_headers(who, pages.deps))
    if response.status_code != 200:
        raise refused_by(response.status_code, "requests")
    return Response(response.content, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{name}-{shown or "all"}.csv"', "Cache-Control": "no-store"})


@router.get("/workload.csv")
async def workload_csv(request: Request, ministry: str = "", to: str = "") -> Response:
    period = _period(request.query_params.get("from", ""), to)
    return await _csv(request, "/api/v1/ministry/workload", ministry, "workload", period)


@router.get("/forecast.csv")
async def forecast_csv(request: Request, ministry: str = "") -> Response:
    """Every service's eight-week forecast; portal staff without a ministry named get every ministry's."""
    return await _csv(request, "/api/v1/ministry/forecast", ministry, "forecast", everyone=True)


@router.get("/admin/onboarding")
async def onboarding(request: Request) -> Response:
    pages = pages_of(request)
    who = await signed_in(request, pages, ADMINS)
    if isinstance(who, Response):
        return who
    found = await read(pages, "catalog", "/api/v1/admin/onboarding", who)
    return render(request, pages, "onboarding.html", {"ministries": found.get("ministries") or []}, who)


@router.get("/admin/readiness")
async def priorities(request: Request, ministry: str = "") -> Response:
    pages = pages_of(request)
    who = await signed_in(request, pages, ADMINS)
    if isinstance(who, Response):
        return who
    params = {"ministry": ministry[:16]} if ministry else None
    found = await read(pages, "catalog", "/api/v1/admin/readiness", who, params)
    return render(request, pages, "priorities.html", {"items": found.get("items") or [], "ministry": ministry},
                  who)
