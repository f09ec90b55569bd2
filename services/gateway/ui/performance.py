"""The public performance page: the portal's KPIs per ministry and service, as charts with their data tables.

Charts are drawn here as inline SVG bars (no script, no styles the CSP would block), each followed by a table of
the same figures; the page works without JavaScript and without signing in.
"""

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from services.gateway import handlers
from services.gateway.ui.common import P
from services.gateway.ui.i18n import citizen_words
from services.gateway.ui.pages import Pages, lang_of
from shared import i18n
from shared.web import Problem

performance_router = APIRouter(include_in_schema=False)
CATALOGUE_PAGES = 5
# The KPIs drawn as charts per service, and how each value is read: a rate (0..1) or a number of days.
CHARTS = (("completion_rate", "rate"), ("csat", "rate"), ("digital_take_up", "rate"),
          ("median_processing_days", "days"))
DEFINED = ("completion_rate", "median_processing_days", "sla_met_rate", "csat", "digital_take_up",
           "cost_per_transaction_omr", "estimated_saving_omr")


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    shown: str
    # Share of the chart's width, 0..100.
    width: float


@dataclass(frozen=True)
class Chart:
    kpi: str
    bars: list[Bar]


def kpi_value(row: dict[str, Any], kpi: str) -> float | None:
    value = row.get("satisfaction", {}).get("csat") if kpi == "csat" else row.get(kpi)
    return float(value) if isinstance(value, int | float) else None


def shown_value(value: float | None, kind: str, no_data: str) -> str:
    if value is None:
        return no_data
    return f"{value * 100:.1f}%" if kind == "rate" else f"{value:.1f}"


def chart(kpi: str, kind: str, rows: list[tuple[str, dict[str, Any]]], no_data: str) -> Chart:
    values = [kpi_value(row, kpi) for _, row in rows]
    top = 1.0 if kind == "rate" else max([v for v in values if v is not None] or [0.0]) or 1.0
    return Chart(kpi, [Bar(label, value, shown_value(value, kind, no_data),
                           round(min(max(value / top, 0.0), 1.0) * 100, 1) if value is not None else 0.0)
                       for (label, _), value in zip(rows, values, strict=True)])


def checked_period(start: str, end: str) -> tuple[str, str, str | None]:
    """The period as asked ('' for the default), and the message key of a mistake in it."""
    parsed: list[date | None] = []
    for text in (start, end):
        try:
            parsed.append(date.fromisoformat(text) if text else None)
        except ValueError:
            return start, end, "bad_date"
    first, last = parsed
    if first and last and first > last:
        return start, end, "bad_period"
    return start, end, None


async def titles(lang: str, pages: Pages) -> tuple[dict[str, str], dict[str, str]]:
    """Service titles and ministry names from the catalogue, by slug and code; empty when it does not answer."""
    services: dict[str, str] = {}
    ministries: dict[str, str] = {}
    for page in range(1, CATALOGUE_PAGES + 1):
        try:
            status, body = await handlers.read_json(pages.deps, "catalog", "/api/v1/services",
                                                    params={"lang": lang, "page": page})
        except Problem:
            break
        if status != 200:
            break
        for item in body.get("items", []):
            services[item["slug"]] = str(item.get("title") or item["slug"])
            name = item.get("ministry_name")
            if isinstance(name, str) and name:
                ministries[item["ministry"]] = name
        if page * 50 >= int(body.get("total", 0)):
            break
    return services, ministries


@performance_router.get("/performance")
async def performance(request: Request, pages: P, ministry: str = "", service: str = "",
                      start: Annotated[str, Query(alias="from")] = "",
                      end: Annotated[str, Query(alias="to")] = "") -> Response:
    identity = await pages.citizen(request)
    lang = lang_of(request)
    ministry, service = ministry.strip()[:16], service.strip()[:80]
    start, end, error = checked_period(start.strip()[:10], end.strip()[:10])
    figures: dict[str, Any] | None = None
    unavailable = False
    if error is None:
        params = {k: v for k, v in (("ministry", ministry), ("service", service), ("from", start), ("to", end)) if v}
        try:
            status, body = await handlers.read_json(pages.deps, "requests", "/api/v1/performance", params=params)
        except Problem as exc:
            if exc.status == 429:
                raise
            status, body = 503, None
        if status == 200:
            figures = body
        elif status == 422:
            error = "bad_period"
        else:
            unavailable = True
    service_titles, ministry_names = await titles(lang, pages)
    no_data = i18n.text(citizen_words()[lang], "no_data")
    rows = [(service_titles.get(row["service"], row["service"]), row) for row in (figures or {}).get("services", [])]
    charts = [chart(kpi, kind, rows, no_data) for kpi, kind in CHARTS] if rows else []
    return pages.render(request, "performance.html", {
        "figures": figures, "charts": charts, "rows": rows, "error": error, "unavailable": unavailable,
        "chosen": {"ministry": ministry, "service": service, "from": start, "to": end},
        "service_titles": service_titles, "ministry_names": ministry_names, "defined": DEFINED},
        status=422 if error else 200, identity=identity)
