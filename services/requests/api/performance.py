"""Public performance figures and their open-data files: counts, rates, times and costs, no personal data."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from services.requests import handlers
from services.requests.api.common import D
from services.requests.api.ministry import From, To, period_of
from services.requests.domain.kpis import Kpis
from shared.web.spreadsheet import CSV_RESPONSE, csv_text

router = APIRouter()
LICENSE = "https://creativecommons.org/licenses/by/4.0/"
Slug = Annotated[str | None, Query(max_length=80)]
Code = Annotated[str | None, Query(max_length=16)]

FIELDS: dict[str, str] = {
    "service": "the service's identifier in the catalogue",
    "ministry": "the code of the ministry that provides it",
    "maturity": "electronic, semi_electronic or manual",
    "digitised_on": "when the service was first brought online, if it was once manual",
    "started": "requests submitted in the period",
    "completed": "of the requests started in the period, how many are completed",
    "cancelled": "of the requests started in the period, how many were cancelled",
    "completion_rate": "completed / (completed + cancelled), 0..1",
    "median_processing_days": "median days from submission to completion (in whole tenths of a day), requests "
                              "completed in the period",
    "p90_processing_days": "90th percentile (nearest rank) of the same days",
    "sla_met_rate": "share of requests decided in the period on or before their due date, 0..1",
    "satisfaction_responses": "ratings given in the period",
    "satisfaction_csat": "share of ratings of 4 or 5, 0..1",
    "satisfaction_mean_score": "mean rating, 1..5",
    "online_completed": "requests completed through the portal in the period",
    "other_channel_completed": "completions the ministry reported through other channels",
    "digital_take_up": "online / (online + other channels), 0..1",
    "cost_per_transaction_omr": "blended cost per completed transaction, Omani rials",
    "estimated_saving_omr": "online completions x (manual cost - digital cost), Omani rials",
}


def _flat(kpis: Kpis) -> dict[str, Any]:
    figures = kpis.as_dict()
    satisfaction = figures.pop("satisfaction")
    return figures | {f"satisfaction_{k}": v for k, v in satisfaction.items()}


async def _report(deps: D, ministry: str | None, service: str | None, start: date | None, end: date | None
                  ) -> handlers.PerformanceReport:
    return await handlers.performance(period_of(start, end, deps.clock().date()), deps, ministry=ministry,
                                      service=service)


@router.get("/api/v1/performance")
async def performance(deps: D, ministry: Code = None, service: Slug = None, start: From = None,
                      end: To = None) -> dict[str, Any]:
    report = await _report(deps, ministry, service, start, end)
    return {
        "period": {"from": report.period.start, "to": report.period.end}, "generated_at": report.generated_at,
        "totals": report.totals.as_dict(),
        "ministries": [{"ministry": code} | kpis.as_dict() for code, kpis in report.ministries],
        "services": [{"service": s.service, "ministry": s.ministry, "maturity": s.maturity,
                      "digitised_on": s.digitised_on} | s.kpis.as_dict() for s in report.services],
    }


def _service_rows(report: handlers.PerformanceReport) -> list[dict[str, Any]]:
    return [{"service": s.service, "ministry": s.ministry, "maturity": s.maturity,
             "digitised_on": s.digitised_on.isoformat() if s.digitised_on else None} | _flat(s.kpis)
            for s in report.services]


@router.get("/open-data/kpis.json")
async def open_data_json(deps: D, start: From = None, end: To = None) -> dict[str, Any]:
    report = await _report(deps, None, None, start, end)
    return {"license": LICENSE, "generated_at": report.generated_at,
            "period": {"from": report.period.start, "to": report.period.end}, "fields": FIELDS,
            "services": _service_rows(report),
            "ministries": [{"ministry": code} | _flat(kpis) for code, kpis in report.ministries]}


@router.get("/open-data/kpis.csv", response_class=Response, responses=CSV_RESPONSE)
async def open_data_csv(deps: D, start: From = None, end: To = None) -> Response:
    report = await _report(deps, None, None, start, end)
    columns = list(FIELDS)
    rows: list[list[object]] = [list(columns), *([row.get(c) for c in columns] for row in _service_rows(report))]
    return Response(csv_text(rows), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": 'attachment; filename="kpis.csv"'})
