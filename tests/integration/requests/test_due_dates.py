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


BEFORE_EID = datetime(2026, 3, 18, 9, 0, tzinfo=UTC)  # Wednesday; Eid al-Fitr runs Thursday 19 to Sunday 22 March


async def test_a_request_submitted_before_eid_al_fitr_is_due_after_it_and_is_not_overdue_during_it(
        harness: Harness) -> None:
    set_clock(harness, BEFORE_EID)
    tracking_number = (await harness.submit()).json()["tracking_number"]
    body = await harness.status_of(tracking_number)
    assert body["due_on"] == "2026-03-24T09:00:00Z"
    assert body["expected_completion"] == "2026-03-24T09:00:00Z"
    set_clock(harness, datetime(2026, 3, 23, 12, tzinfo=UTC))
    assert (await harness.status_of(tracking_number))["overdue"] is False


async def test_an_announced_holiday_moves_undecided_due_dates_until_staff_revoke_it_and_both_are_kept(
        harness: Harness) -> None:
    set_clock(harness, BEFORE_EID)
    waiting = (await harness.submit()).json()["tracking_number"]
    decided = (await harness.submit()).json()["tracking_number"]
    for status in ("received", "in_review", "approved"):
        await harness.ministry_says(decided, status)
    await harness.wait_for_status(decided, "approved")
    admin = harness.as_(create_admin())
    announced = await harness.client.post("/api/v1/admin/calendar/changes", headers=admin, json={
        "day": "2026-03-23", "kind": "holiday", "name_en": "Eid al-Fitr holiday extended",
        "name_ar": "تمديد إجازة عيد الفطر", "reference": "Royal Decree announcement"})
    assert announced.status_code == 201, announced.text
    assert announced.json()["due_dates_moved"] == 1
    assert (await harness.status_of(waiting))["due_on"] == "2026-03-25T09:00:00Z"
    assert (await harness.status_of(decided))["due_on"] == "2026-03-24T09:00:00Z"

    year = (await harness.client.get("/api/v1/admin/calendar", params={"year": 2026}, headers=admin)).json()
    holidays = {h["day"]: h for h in year["holidays"]}
    assert holidays["2026-03-23"]["announced"] is True
    assert holidays["2026-11-25"]["name_ar"] and holidays["2026-03-19"]["name_en"] == "Eid al-Fitr"

    change_id = announced.json()["change"]["id"]
    revoked = await harness.client.post(f"/api/v1/admin/calendar/changes/{change_id}/revoke", headers=admin)
    assert revoked.json()["due_dates_moved"] == 1 and revoked.json()["change"]["revoked_at"]
    assert (await harness.status_of(waiting))["due_on"] == "2026-03-24T09:00:00Z"
    again = await harness.client.post(f"/api/v1/admin/calendar/changes/{change_id}/revoke", headers=admin)
    assert again.status_code == 409
    kept = (await harness.client.get("/api/v1/admin/calendar", params={"year": 2026}, headers=admin)).json()
    assert [(c["day"], c["revoked_at"] is not None) for c in kept["changes"]] == [("2026-03-23", True)]


async def test_a_calendar_change_that_changes_nothing_or_comes_from_a_citizen_is_refused(harness: Harness) -> None:
    friday = {"day": "2026-03-20", "kind": "holiday", "name_en": "Friday", "name_ar": "الجمعة"}
    refused = await harness.client.post("/api/v1/admin/calendar/changes", json=friday,
                                        headers=harness.as_(create_admin()))
    assert refused.status_code == 422 and refused.json()["code"] == "calendar-already-off"
    citizen = await harness.client.post("/api/v1/admin/calendar/changes", json=friday | {"day": "2026-03-24"},
                                        headers=harness.as_(create_citizen()))
    assert citizen.status_code == 403


async def test_every_view_of_overdue_agrees_with_the_domain_s_definition(harness: Harness) -> None:
    set_clock(harness, THURSDAY)
    numbers = {status: (await harness.submit()).json()["tracking_number"]
               for status in ("submitted", "in_review", "action_required", "approved", "completed")}
    path = {"submitted": [], "in_review": ["received", "in_review"],
            "action_required": ["received", "in_review", "action_required"],
            "approved": ["received", "in_review", "approved"],
            "completed": ["received", "in_review", "approved", "completed"]}
    for status, steps in path.items():
        for step in steps:
            await harness.ministry_says(numbers[status], step)
        if steps:
            await harness.wait_for_status(numbers[status], steps[-1])
    set_clock(harness, datetime(2026, 1, 12, tzinfo=UTC))
    rop = harness.as_(create_ministry_identity("rop"))
    flagged = {s for s, n in numbers.items() if (await harness.status_of(n))["overdue"]}
    queue = (await harness.client.get("/api/v1/ministry/requests", params={"overdue": "true"}, headers=rop)).json()
    listed = {s for s, n in numbers.items() if n in {i["tracking_number"] for i in queue["items"]}}
    report = await harness.client.get("/api/v1/admin/requests/overdue", headers=harness.as_(create_admin()))
    workload = (await harness.client.get("/api/v1/ministry/workload", headers=rop)).json()
    assert listed == flagged and queue["counts"]["overdue"] == len(flagged) == report.json()["total"]
    assert sum(s["overdue"] for s in workload["services"]) == len(flagged)
    assert flagged == {"submitted", "in_review", "action_required", "approved"}  # approved, not yet issued
