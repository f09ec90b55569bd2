"""The requests service on SQLite and PostgreSQL, with the in-memory bus standing in for RabbitMQ."""

import asyncio
import dataclasses

import pytest
from sqlalchemy import func, select

from services.requests.store import outbox, requests
from shared.bus import Envelope
from shared.contracts.catalog import ServiceRecord
from shared.contracts.requests import RequestSubmitted
from tests.factories import create_citizen, create_ministry_identity
from tests.integration.bus.helpers import eventually
from tests.integration.requests.helpers import Harness, create_service_record

pytestmark = pytest.mark.integration


async def test_a_submitted_request_reaches_the_ministrys_own_queue(harness: Harness) -> None:
    response = await harness.submit(licence="L-1234")
    assert response.status_code == 201
    tracking_number = response.json()["tracking_number"]

    async def queued() -> bool:
        return harness.bus.queues["ministry.rop.inbox"].messages.qsize() == 1

    await eventually(queued)
    [message] = await harness.bus.drain("ministry.rop.inbox")
    submitted = RequestSubmitted.model_validate(Envelope.from_body(message.body).data)
    assert submitted.tracking_number == tracking_number
    assert submitted.fields == {"licence": "L-1234"}
    assert submitted.applicant.national_id == create_citizen().subject


async def test_wrong_answers_are_refused_and_nothing_is_written(harness: Harness) -> None:
    response = await harness.submit(licence="x", phone="123")
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"licence", "phone"}
    async with harness.app.state.runtime.engine.connect() as connection:
        assert (await connection.execute(select(func.count()).select_from(requests))).scalar() == 0
        assert (await connection.execute(select(func.count()).select_from(outbox))).scalar() == 0


async def test_an_unknown_service_while_the_catalogue_is_down_is_a_clear_503_not_a_crash(harness: Harness
                                                                                         ) -> None:
    response = await harness.client.post("/api/v1/requests", headers=harness.as_(create_citizen()),
                                         json={"service": "no-such-service", "fields": {}})
    assert response.status_code == 503
    assert response.json()["code"] == "catalog-unavailable"


async def test_the_ministry_moves_its_request_and_every_step_is_kept(harness: Harness) -> None:
    tracking_number = (await harness.submit()).json()["tracking_number"]
    for status in ("received", "in_review", "approved"):
        await harness.ministry_says(tracking_number, status)
    body = await harness.wait_for_status(tracking_number, "approved")
    assert [(h["status"], h["actor"]) for h in body["history"]] == [
        ("submitted", "citizen"), ("received", "ministry"), ("in_review", "ministry"), ("approved", "ministry")]
    staff = await harness.client.get(f"/api/v1/requests/{tracking_number}",
                                     headers=harness.as_(create_ministry_identity("rop")))
    assert [h["actor"] for h in staff.json()["history"]][1:] == ["ministry:rop"] * 3


async def test_a_redelivered_status_event_is_applied_once(harness: Harness) -> None:
    tracking_number = (await harness.submit()).json()["tracking_number"]
    event_id = await harness.ministry_says(tracking_number, "received")
    await harness.ministry_says(tracking_number, "received", event_id=event_id)
    await harness.ministry_says(tracking_number, "in_review")
    body = await harness.wait_for_status(tracking_number, "in_review")
    assert [h["status"] for h in body["history"]] == ["submitted", "received", "in_review"]
    assert await harness.dead_letter_reasons(0) == []


async def test_a_late_duplicate_is_kept_for_the_ministry_but_never_shown_to_the_citizen(harness: Harness) -> None:
    tracking_number = (await harness.submit()).json()["tracking_number"]
    await harness.ministry_says(tracking_number, "received")
    await harness.ministry_says(tracking_number, "in_review")
    await harness.wait_for_status(tracking_number, "in_review")
    await harness.ministry_says(tracking_number, "received")
    ministry = harness.as_(create_ministry_identity("rop"))

    async def recorded() -> bool:
        staff = await harness.client.get(f"/api/v1/requests/{tracking_number}", headers=ministry)
        return len(staff.json()["history"]) == 4

    await eventually(recorded)
    staff = (await harness.client.get(f"/api/v1/requests/{tracking_number}", headers=ministry)).json()
    citizen = await harness.status_of(tracking_number)
    assert staff["status"] == citizen["status"] == "in_review"
    assert staff["history"][-1] | {"at": None} == {"status": "received", "previous_status": "in_review",
                                                   "actor": "ministry:rop", "actor_name": None, "note": None,
                                                   "at": None, "applied": False}
    assert [h["status"] for h in citizen["history"]] == ["submitted", "received", "in_review"]
    assert all(h["applied"] for h in citizen["history"])


async def test_a_status_event_not_signed_by_the_ministrys_broker_user_is_dead_lettered(harness: Harness) -> None:
    tracking_number = (await harness.submit()).json()["tracking_number"]
    await harness.ministry_says(tracking_number, "received", user_id="ministry-moh")
    await harness.ministry_says(tracking_number, "received", user_id=None)
    await harness.ministry_says(tracking_number, "in_review")  # illegal: never received

    reasons = await harness.dead_letter_reasons(3)
    assert "not by the broker user of ministry 'rop'" in reasons[0]
    assert "not by the broker user" in reasons[1]
    assert reasons[2].startswith("illegal-transition")
    assert (await harness.status_of(tracking_number))["status"] == "submitted"


async def test_a_status_for_an_unknown_request_is_dead_lettered_and_the_next_is_applied(harness: Harness) -> None:
    tracking_number = (await harness.submit()).json()["tracking_number"]
    await harness.ministry_says("ROP-2026-999999-" + "0", "received")
    await harness.ministry_says(tracking_number, "received")
    await harness.wait_for_status(tracking_number, "received")
    [reason] = await harness.dead_letter_reasons(1)
    assert reason.startswith("tracking-number")


async def test_a_citizen_cancels_before_review_but_not_after(harness: Harness) -> None:
    first = (await harness.submit()).json()["tracking_number"]
    cancelled = await harness.client.post(f"/api/v1/requests/{first}/cancel", headers=harness.as_(create_citizen()))
    assert cancelled.json()["status"] == "cancelled"

    second = (await harness.submit()).json()["tracking_number"]
    await harness.ministry_says(second, "received")
    await harness.ministry_says(second, "in_review")
    await harness.wait_for_status(second, "in_review")
    refused = await harness.client.post(f"/api/v1/requests/{second}/cancel", headers=harness.as_(create_citizen()))
    assert refused.status_code == 409


async def test_a_citizen_answers_when_the_ministry_asks_for_more(harness: Harness) -> None:
    tracking_number = (await harness.submit()).json()["tracking_number"]
    for status in ("received", "in_review"):
        await harness.ministry_says(tracking_number, status)
    await harness.ministry_says(tracking_number, "action_required", fields_to_correct=["licence"])
    await harness.wait_for_status(tracking_number, "action_required")
    answered = await harness.client.post(f"/api/v1/requests/{tracking_number}/respond",
                                         headers=harness.as_(create_citizen()),
                                         json={"note": "الرقم الصحيح مرفق", "fields": {"licence": "L-9999"}})
    assert answered.status_code == 200, answered.text
    body = await harness.status_of(tracking_number)
    assert body["status"] == "in_review"
    assert body["fields"]["licence"] == "L-9999"


@pytest.mark.parametrize("asked", [["phone"], []])
async def test_a_citizen_changes_only_the_fields_the_ministry_asked_about(harness: Harness, asked: list[str]) -> None:
    tracking_number = (await harness.submit(licence="L-1234")).json()["tracking_number"]
    for status in ("received", "in_review"):
        await harness.ministry_says(tracking_number, status)
    await harness.ministry_says(tracking_number, "action_required", fields_to_correct=asked)
    await harness.wait_for_status(tracking_number, "action_required")
    refused = await harness.client.post(f"/api/v1/requests/{tracking_number}/respond",
                                        headers=harness.as_(create_citizen()),
                                        json={"note": "corrected", "fields": {"phone": "+968 9123 4567",
                                                                              "licence": "L-0000"}})
    assert refused.status_code == 422
    named = {e["field"] for e in refused.json()["errors"]}
    assert named == {"licence", "phone"} - set(asked)
    body = await harness.status_of(tracking_number)
    assert (body["status"], body["fields"]["licence"]) == ("action_required", "L-1234")


async def test_nobody_sees_another_citizens_request(harness: Harness) -> None:
    tracking_number = (await harness.submit()).json()["tracking_number"]
    stranger = create_citizen(national_id="99998888")
    response = await harness.client.get(f"/api/v1/requests/{tracking_number}", headers=harness.as_(stranger))
    assert response.status_code == 404
    mine = await harness.client.get("/api/v1/requests", headers=harness.as_(stranger))
    assert mine.json()["items"] == []


async def test_the_ministry_rest_api_moves_only_its_own_requests(harness: Harness) -> None:
    tracking_number = (await harness.submit()).json()["tracking_number"]
    other = await harness.client.post(f"/api/v1/ministry/requests/{tracking_number}/status",
                                      headers=harness.as_(create_ministry_identity("moh")),
                                      json={"status": "received"})
    assert other.status_code == 403
    own = await harness.client.post(f"/api/v1/ministry/requests/{tracking_number}/status",
                                    headers=harness.as_(create_ministry_identity("rop")),
                                    json={"status": "received", "note": "استلمنا طلبك"})
    assert own.json() == {"outcome": "apply", "status": "received"}
    assert (await harness.status_of(tracking_number))["status"] == "received"


async def test_tracking_numbers_count_up_per_ministry_and_year(harness: Harness) -> None:
    numbers = [(await harness.submit()).json()["tracking_number"] for _ in range(3)]
    assert [n.split("-")[2] for n in numbers] == ["000001", "000002", "000003"]
    await asyncio.sleep(0)


async def test_the_trace_of_a_submission_follows_it_onto_the_ministrys_queue(harness: Harness) -> None:
    trace_id = "ab" * 16
    response = await harness.client.post(
        "/api/v1/requests", json={"service": "renew-licence", "fields": {"licence": "L-1234"}},
        headers=harness.as_(create_citizen()) | {"traceparent": f"00-{trace_id}-{'cd' * 8}-01"})
    assert response.headers["traceparent"].split("-")[1] == trace_id

    async def queued() -> bool:
        return harness.bus.queues["ministry.rop.inbox"].messages.qsize() == 1

    await eventually(queued)
    [message] = await harness.bus.drain("ministry.rop.inbox")
    assert (Envelope.from_body(message.body).traceparent or "").split("-")[1] == trace_id


async def test_simultaneous_first_requests_of_the_year_get_distinct_tracking_numbers(harness: Harness) -> None:
    responses = await asyncio.gather(*(harness.submit(create_citizen(national_id=f"1000000{n}")) for n in range(6)))
    assert [r.status_code for r in responses] == [201] * 6
    numbers = {r.json()["tracking_number"] for r in responses}
    assert len(numbers) == 6


async def test_simultaneous_first_requests_for_a_service_not_yet_cached_all_succeed(harness: Harness) -> None:
    record = create_service_record(slug="fresh-service")

    class OneCatalog:
        async def fetch(self, slug: str) -> ServiceRecord | None:
            await asyncio.sleep(0.01)
            return record if slug == record.slug else None

    harness.app.state.deps = dataclasses.replace(harness.app.state.deps, catalog=OneCatalog())
    responses = await asyncio.gather(*(harness.client.post(
        "/api/v1/requests", headers=harness.as_(create_citizen()),
        json={"service": "fresh-service", "fields": {"licence": "L-1234"}}) for _ in range(5)))
    assert [r.status_code for r in responses] == [201] * 5
