"""Every request knows when it is due (working days, Oman's Friday–Saturday weekend); staff see what is late."""

import dataclasses
from datetime import UTC, datetime

import pytest

from services.requests.watch import OperationsWatch
from tests.factories import create_admin, create_citizen, create_ministry_identity
from tests.integration.requests.helpers import Harness

pytestmark = pytest.mark.integration
THURSDAY = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def set_clock(harness: Harness, at: datetime) -> None:
    harness.app.state.deps = dataclasses.replace(harness.app.state.deps, clock=lambda: at)


async def test_a_two_day_request_submitted_on_thursday_is_due_on_monday_as_the_weekend_does_not_count(
        harness: Harness) -> None:
    set_clock(harness, THURSDAY)
    tracking_number = (await harness.submit()).json()["tracking_number"]
    body = await harness.status_of(tracking_number)
    assert body["due_on"] == "2026-01-05T09:00:00Z"
    assert body["overdue"] is False


async def test_an_open_request_past_its_due_date_is_flagged_and_counted_for_staff_and_its_ministry(
        harness: Harness) -> None:
    set_clock(harness, THURSDAY)
    late = (await harness.submit()).json()["tracking_number"]
    done = (await harness.submit()).json()["tracking_number"]
    for status in ("received", "in_review", "approved", "completed"):
        await harness.ministry_says(done, status)
    await harness.wait_for_status(done, "completed")
    set_clock(harness, datetime(2026, 1, 12, tzinfo=UTC))

    assert (await harness.status_of(late))["overdue"] is True
    assert (await harness.status_of(done))["overdue"] is False
    report = await harness.client.get("/api/v1/admin/requests/overdue", headers=harness.as_(create_admin()))
    assert report.json() == {"total": 1, "services": [{"ministry": "rop", "service": "renew-licence",
                                                        "overdue": 1}]}
    await OperationsWatch(harness.app.state.deps).refresh()
    metrics = (await harness.client.get("/metrics")).text
    assert 'portal_requests_overdue{ministry="rop"} 1.0' in metrics
    queue = await harness.client.get("/api/v1/ministry/requests", params={"overdue": "true"},
                                     headers=harness.as_(create_ministry_identity("rop")))
    assert queue.json()["total"] == 1
    assert [item["tracking_number"] for item in queue.json()["items"]] == [late]


async def test_a_ministry_lists_only_its_own_requests_those_due_first(harness: Harness) -> None:
    numbers = [(await harness.submit()).json()["tracking_number"] for _ in range(3)]
    mine = await harness.client.get("/api/v1/ministry/requests", headers=harness.as_(create_ministry_identity("rop")))
    assert [item["tracking_number"] for item in mine.json()["items"]] == numbers
    other = await harness.client.get("/api/v1/ministry/requests", headers=harness.as_(create_ministry_identity("moh")))
    assert other.json()["total"] == 0 and other.json()["items"] == []
    assert set(other.json()["counts"].values()) == {0}
    citizen = await harness.client.get("/api/v1/ministry/requests", headers=harness.as_(create_citizen()))
    assert citizen.status_code == 403
