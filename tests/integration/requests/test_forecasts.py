"""Each service's weekly demand forecast: made when the portal retrains, eight weeks ahead with intervals, read by
its ministry (JSON and CSV) and by portal staff for every ministry; a service with too little history has none."""

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.requests.store import requests
from tests.factories import create_admin, create_ministry_identity
from tests.integration.requests.helpers import Harness

pytestmark = pytest.mark.integration


async def create_weekly_history(harness: Harness, service: str, ministry: str, weeks: int) -> None:
    """Completed requests, a few each working day (more mid-week), back `weeks` weeks from now."""
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    for day in range(weeks * 7):
        at = now - timedelta(days=day + 1)
        for _ in range(0 if at.weekday() in (4, 5) else 2 + day % 3):
            rows.append({"tracking_number": f"F-{service}-{len(rows)}", "service": service, "service_version": 1,
                         "ministry": ministry, "citizen": str(70_000_000 + len(rows)), "lang": "ar",
                         "status": "completed", "fields": {}, "submitted_at": at, "updated_at": at, "due_on": at,
                         "completed_at": at})
    async with harness.app.state.runtime.engine.begin() as connection:
        await connection.execute(requests.insert(), rows)


async def test_a_ministry_reads_its_services_eight_week_forecast_and_staff_read_every_ministrys(
        harness: Harness) -> None:
    await create_weekly_history(harness, "renew-licence", "rop", weeks=80)
    await create_weekly_history(harness, "issue-birth-certificate", "moh", weeks=80)
    await create_weekly_history(harness, "new-service", "rop", weeks=20)
    retrained = await harness.client.post("/api/v1/admin/insights/retrain", headers=harness.as_(create_admin()))
    assert retrained.status_code == 200, retrained.text

    rop = (await harness.client.get("/api/v1/ministry/forecast",
                                    headers=harness.as_(create_ministry_identity("rop")))).json()
    assert [f["service"] for f in rop["items"]] == ["renew-licence"], "20 weeks of history make no forecast"
    weeks = rop["items"][0]["weeks"]
    assert len(weeks) == 8
    assert all(w["lower"] <= w["expected"] <= w["upper"] for w in weeks)
    assert all(5 < w["expected"] < 40 for w in weeks), "about 12 requests a week, as the history had"
    assert datetime.fromisoformat(weeks[0]["week"]).weekday() == 6, "weeks start on Sunday"

    everyone = (await harness.client.get("/api/v1/ministry/forecast", headers=harness.as_(create_admin()))).json()
    assert {(f["ministry"], f["service"]) for f in everyone["items"]} == {
        ("rop", "renew-licence"), ("moh", "issue-birth-certificate")}
    other = await harness.client.get("/api/v1/ministry/forecast", params={"ministry": "moh"},
                                     headers=harness.as_(create_ministry_identity("rop")))
    assert other.status_code == 403
    sheet = await harness.client.get("/api/v1/ministry/forecast", params={"format": "csv"},
                                     headers=harness.as_(create_ministry_identity("rop")))
    rows = list(csv.reader(io.StringIO(sheet.text)))
    assert rows[0] == ["ministry", "service", "week", "expected", "lower", "upper", "trained_at"]
    assert len(rows) == 9 and {r[1] for r in rows[1:]} == {"renew-licence"}
