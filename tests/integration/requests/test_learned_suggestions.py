"""Learned next-service suggestions through the requests service's API: staff retrain and approve, and a citizen
who completes a request is told what most people went on to need, with the reason, in both languages; a
pattern followed by too few citizens, or led by a sensitive service, never reaches anyone."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from services.requests.store import outbox, requests
from shared.bus import Envelope
from shared.bus.topology import EVENTS
from shared.contracts.base import Bilingual
from shared.contracts.catalog import ServiceRetired
from shared.contracts.requests import SuggestionOffered
from tests.factories import create_admin, create_citizen
from tests.integration.bus.helpers import eventually
from tests.integration.requests.helpers import Harness, create_service_record

pytestmark = pytest.mark.integration
VEHICLE, FINES, LICENCE = "register-new-vehicle", "pay-traffic-fines", "renew-licence"
REPORT, CARD = "request-medical-report", "issue-disability-card"
TITLES = {VEHICLE: ("تسجيل مركبة جديدة", "Register a new vehicle"), FINES: ("دفع المخالفات", "Pay traffic fines"),
          REPORT: ("طلب تقرير طبي", "Request a medical report"), CARD: ("بطاقة الإعاقة", "Disability card")}


async def create_services(harness: Harness) -> None:
    for slug, (ar, en) in TITLES.items():
        await harness.publish_service(create_service_record(slug).model_copy(update={
            "title": Bilingual(ar=ar, en=en), "sensitive": slug == REPORT}))


async def create_history(harness: Harness, pairs: list[tuple[str, str, int]], filler: int) -> None:
    """Completed requests already in the store: `count` citizens who did one service then the other."""
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []

    def add(citizen: str, service: str, days_ago: int) -> None:
        at = now - timedelta(days=days_ago)
        rows.append({"tracking_number": f"H-{len(rows)}", "service": service, "service_version": 1, "ministry": "rop",
                     "citizen": citizen, "lang": "ar", "status": "completed", "fields": {}, "submitted_at": at,
                     "updated_at": at, "due_on": at, "completed_at": at})

    citizen = 90_000_000
    for after, then, count in pairs:
        for _ in range(count):
            citizen += 1
            add(str(citizen), after, 100)
            add(str(citizen), then, 60)
    for _ in range(filler):
        citizen += 1
        add(str(citizen), LICENCE, 50)
    async with harness.app.state.runtime.engine.begin() as connection:
        await connection.execute(requests.insert(), rows)


async def complete(harness: Harness, service: str, citizen: Any) -> str:
    response = await harness.client.post("/api/v1/requests", headers=harness.as_(citizen),
                                         json={"service": service, "fields": {"licence": "L-1234"}})
    assert response.status_code == 201, response.text
    tracking_number: str = response.json()["tracking_number"]
    for status in ("received", "in_review", "approved", "completed"):
        await harness.ministry_says(tracking_number, status)

    async def completed() -> bool:
        return (await harness.status_of(tracking_number, citizen))["status"] == "completed"

    await eventually(completed)
    return tracking_number


async def suggestions(harness: Harness, citizen: Any, **params: str) -> list[dict[str, Any]]:
    response = await harness.client.get("/api/v1/me/suggestions", params=params, headers=harness.as_(citizen))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_a_citizen_who_completes_a_request_is_suggested_what_most_people_needed_next(harness: Harness) -> None:
    await create_services(harness)
    await create_history(harness, [(VEHICLE, FINES, 60), (VEHICLE, LICENCE, 30), (REPORT, CARD, 80)], filler=300)
    staff = harness.as_(create_admin())
    run = await harness.client.post("/api/v1/admin/insights/retrain", headers=staff)
    assert run.status_code == 200, run.text
    learned = (await harness.client.get("/api/v1/admin/insights/patterns", headers=staff)).json()
    assert [(p["after"], p["then"], p["state"]) for p in learned["items"]] == [(VEHICLE, FINES, "proposed")]
    assert learned["items"][0]["figures"]["citizens"] == 60 and learned["min_citizens"] == 50

    citizen = create_citizen("31415926")
    tracking_number = await complete(harness, VEHICLE, citizen)
    assert await suggestions(harness, citizen) == [], "a pattern staff have not approved reaches nobody"

    approved = await harness.client.post(f"/api/v1/admin/insights/patterns/{VEHICLE}/{FINES}/approve", headers=staff)
    assert approved.json()["state"] == "approved"
    shown = await suggestions(harness, citizen, after=tracking_number)
    assert [s["service"] for s in shown] == [FINES]
    assert shown[0]["reason"]["en"].startswith("67% of people who completed “Register a new vehicle” went on")
    assert "«تسجيل مركبة جديدة»" in shown[0]["reason"]["ar"]
    assert shown[0]["title"]["en"] == "Pay traffic fines"

    sick = create_citizen("27182818")
    await complete(harness, REPORT, sick)
    assert await suggestions(harness, sick) == [], "a sensitive service is never the reason for a suggestion"

    dismissed = await harness.client.post(f"/api/v1/me/suggestions/{FINES}/dismiss", headers=harness.as_(citizen))
    assert dismissed.status_code == 204
    assert await suggestions(harness, citizen) == []
    later = (await harness.client.get("/api/v1/me/suggestions", headers=harness.as_(citizen))).json()
    assert later["dismissed"] == [FINES], "the life-event rules leave a dismissed service out too"

    other = create_citizen("16180339")
    await complete(harness, VEHICLE, other)
    assert [s["service"] for s in await suggestions(harness, other)] == [FINES]
    await harness.client.post(f"/api/v1/admin/insights/patterns/{VEHICLE}/{FINES}/switch-off", headers=staff)
    assert await suggestions(harness, other) == [], "a pattern switched off is shown to no one"


async def test_auto_approval_shows_patterns_above_staffs_bar_and_refuses_a_bar_under_the_threshold(
        harness: Harness) -> None:
    await create_services(harness)
    await create_history(harness, [(VEHICLE, FINES, 60)], filler=300)
    staff = harness.as_(create_admin())
    too_low = await harness.client.put("/api/v1/admin/insights/auto-approval", headers=staff,
                                       json={"min_citizens": 5, "min_confidence": 0.1, "min_lift": 1.5})
    assert too_low.status_code == 422 and too_low.json()["code"] == "auto-approval-below-threshold"
    bar = await harness.client.put("/api/v1/admin/insights/auto-approval", headers=staff,
                                   json={"min_citizens": 55, "min_confidence": 0.5, "min_lift": 1.5})
    assert bar.status_code == 200
    await harness.client.post("/api/v1/admin/insights/retrain", headers=staff)
    learned = (await harness.client.get("/api/v1/admin/insights/patterns", headers=staff)).json()
    assert [(p["then"], p["state"], p["decided_by"]) for p in learned["items"]] == [(FINES, "approved", "auto")]


async def test_only_staff_see_the_patterns_and_a_citizen_only_their_own_requests_suggestions(harness: Harness) -> None:
    refused = await harness.client.get("/api/v1/admin/insights/patterns", headers=harness.as_(create_citizen()))
    assert refused.status_code == 403
    missing = await harness.client.get("/api/v1/me/suggestions", params={"after": "ROP-2026-000001-X"},
                                       headers=harness.as_(create_citizen()))
    assert missing.status_code == 404


async def offered(harness: Harness) -> list[dict[str, Any]]:
    async with harness.app.state.runtime.engine.connect() as connection:
        rows = await connection.execute(select(outbox.c.data, outbox.c.routing_key)
                                        .where(outbox.c.type == SuggestionOffered.TYPE))
        return [dict(row.data) | {"routing_key": row.routing_key} for row in rows]


async def test_only_a_citizen_who_opted_in_is_told_of_a_suggestion_and_only_once(harness: Harness) -> None:
    await create_services(harness)
    await create_history(harness, [(VEHICLE, FINES, 60)], filler=300)
    staff = harness.as_(create_admin())
    await harness.client.post("/api/v1/admin/insights/retrain", headers=staff)
    await harness.client.post(f"/api/v1/admin/insights/patterns/{VEHICLE}/{FINES}/approve", headers=staff)
    quiet, keen = create_citizen("31415926"), create_citizen("27182818")
    assert (await harness.client.get("/api/v1/me/suggestions/notices", headers=harness.as_(keen))).json() == {
        "enabled": False}, "nobody is told unless they ask to be"
    opted = await harness.client.put("/api/v1/me/suggestions/notices", json={"enabled": True},
                                     headers=harness.as_(keen))
    assert opted.json() == {"enabled": True}
    listed = (await harness.client.get("/api/v1/me/suggestions", headers=harness.as_(keen))).json()
    assert listed["notices"] is True, "the dashboard learns the choice with the suggestions, in the same call"

    await complete(harness, VEHICLE, quiet)
    first = await complete(harness, VEHICLE, keen)
    await complete(harness, VEHICLE, keen)

    events = await offered(harness)
    assert [(e["citizen"], e["service"], e["because_of"], e["tracking_number"]) for e in events] == [
        ("27182818", FINES, VEHICLE, first)]
    assert events[0]["routing_key"] == "requests.suggestion.offered"
    proactive = (await harness.client.get("/api/v1/me/proactive", headers=harness.as_(keen))).json()
    assert proactive == {"proactive": True}, "opting in to suggestions leaves the renewal offers as they were"


async def test_a_suggestion_follows_the_catalogue_as_it_is_now_sensitive_lead_or_retired_service(
        harness: Harness) -> None:
    await create_services(harness)
    await create_history(harness, [(VEHICLE, FINES, 60)], filler=300)
    staff = harness.as_(create_admin())
    await harness.client.post("/api/v1/admin/insights/retrain", headers=staff)
    await harness.client.post(f"/api/v1/admin/insights/patterns/{VEHICLE}/{FINES}/approve", headers=staff)
    citizen = create_citizen("31415926")
    await complete(harness, VEHICLE, citizen)
    assert [s["service"] for s in await suggestions(harness, citizen)] == [FINES]

    vehicle = create_service_record(VEHICLE, version=2).model_copy(update={
        "title": Bilingual(ar=TITLES[VEHICLE][0], en=TITLES[VEHICLE][1]), "sensitive": True})
    await harness.publish_service(vehicle)

    async def offered(*services: str) -> bool:
        return [s["service"] for s in await suggestions(harness, citizen)] == list(services)

    await eventually(offered)  # a service flagged sensitive since the retrain leads nowhere
    await harness.publish_service(vehicle.model_copy(update={"version": 3, "sensitive": False}))
    await eventually(lambda: offered(FINES))
    retired = ServiceRetired(slug=FINES, ministry="rop", version=2)
    envelope = Envelope(type=ServiceRetired.TYPE, source="/catalog", data=retired.model_dump(mode="json"))
    await harness.bus.publish(envelope, EVENTS, "catalog.service.retired")
    await eventually(offered)  # a retired service is suggested to no one
