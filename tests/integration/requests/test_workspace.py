"""The ministry workspace against the requests service: officers act, one at a time, and only on their ministry's
requests; citizens never see who the officer was."""

import asyncio
import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import structlog

from services.requests import handlers
from services.requests.domain import Conflict
from shared.auth import Identity
from tests.factories import create_admin, create_citizen, create_ministry_identity
from tests.integration.requests.factories import create_officer, create_service_manager
from tests.integration.requests.helpers import Harness, create_service_record

pytestmark = pytest.mark.integration
THURSDAY = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


async def act(harness: Harness, tracking_number: str, who: Identity, status: str, **body: Any) -> httpx.Response:
    return await harness.client.post(f"/api/v1/ministry/requests/{tracking_number}/status",
                                     headers=harness.as_(who), json={"status": status} | body)


async def as_staff(harness: Harness, tracking_number: str, who: Identity | None = None) -> dict[str, Any]:
    response = await harness.client.get(f"/api/v1/requests/{tracking_number}",
                                        headers=harness.as_(who or create_officer()))
    body: dict[str, Any] = response.json()
    return body


async def in_review(harness: Harness) -> str:
    tracking_number: str = (await harness.submit()).json()["tracking_number"]
    for status in ("received", "in_review"):
        assert (await act(harness, tracking_number, create_officer(), status)).status_code == 200
    return tracking_number


async def test_two_officers_moving_one_request_at_once_one_wins_and_the_other_is_told_it_changed(
        harness: Harness) -> None:
    tracking_number = (await harness.submit()).json()["tracking_number"]
    deps = harness.app.state.deps
    first, second = (handlers.ReportStatus(tracking_number, "received", None, "rop", expected_status="submitted",
                                           officer=create_officer(subject=s)) for s in ("officer-1", "officer-2"))
    outcomes = await asyncio.gather(handlers.report_status(first, deps), handlers.report_status(second, deps),
                                    return_exceptions=True)
    conflicts = [o for o in outcomes if isinstance(o, Conflict)]
    applied = [o for o in outcomes if isinstance(o, handlers.StatusReported)]
    assert len(conflicts) == 1 and len(applied) == 1
    assert conflicts[0].code == "status-changed" and conflicts[0].extra["current_status"] == "received"
    history = (await as_staff(harness, tracking_number))["history"]
    assert [h["status"] for h in history] == ["submitted", "received"]


async def test_two_officers_deciding_over_http_at_once_get_one_decision_and_one_409(harness: Harness) -> None:
    tracking_number = await in_review(harness)
    approve, reject = await asyncio.gather(
        act(harness, tracking_number, create_officer(subject="officer-1"), "approved", expected_status="in_review"),
        act(harness, tracking_number, create_officer(subject="officer-2"), "rejected", expected_status="in_review",
            note="The licence was suspended."))
    statuses = sorted([approve.status_code, reject.status_code])
    assert statuses == [200, 409]
    loser = approve if approve.status_code == 409 else reject
    assert loser.headers["content-type"] == "application/problem+json"
    assert loser.json()["code"] == "status-changed"
    assert loser.json()["current_status"] in ("approved", "rejected")
    history = (await as_staff(harness, tracking_number))["history"]
    assert [h["status"] for h in history][-1] in ("approved", "rejected")
    assert len([h for h in history if h["status"] in ("approved", "rejected")]) == 1


async def test_every_officer_action_is_kept_with_the_officer_but_the_citizen_sees_only_the_ministry(
        harness: Harness) -> None:
    tracking_number = await in_review(harness)
    staff = await as_staff(harness, tracking_number)
    assert [(h["actor"], h["actor_name"]) for h in staff["history"][1:]] == [
        ("officer:officer-7", "Salim Al-Harthi")] * 2
    mine = await harness.status_of(tracking_number)
    assert [(h["actor"], h["actor_name"]) for h in mine["history"]] == [
        ("citizen", None), ("ministry", None), ("ministry", None)]
    assert "officer-7" not in json.dumps(mine) and "Salim" not in json.dumps(mine)


async def test_an_officer_asks_for_named_fields_and_the_citizen_sees_the_note_and_the_fields(
        harness: Harness) -> None:
    tracking_number = await in_review(harness)
    asked = await act(harness, tracking_number, create_officer(), "action_required",
                      note="Please retype the licence number.", fields_to_correct=["licence"])
    assert asked.json() == {"outcome": "apply", "status": "action_required"}
    mine = await harness.status_of(tracking_number)
    assert mine["fields_to_correct"] == ["licence"]
    assert mine["action_note"] == "Please retype the licence number."


async def test_fields_to_correct_must_be_on_the_form_and_go_only_with_action_required(harness: Harness) -> None:
    tracking_number = await in_review(harness)
    unknown = await act(harness, tracking_number, create_officer(), "action_required", fields_to_correct=["iban"])
    assert unknown.status_code == 422 and unknown.json()["code"] == "fields-to-correct-invalid"
    wrong_status = await act(harness, tracking_number, create_officer(), "approved", fields_to_correct=["licence"])
    assert wrong_status.status_code == 422
    assert (await harness.status_of(tracking_number))["status"] == "in_review"


async def test_an_officer_rejects_only_with_a_note_for_the_citizen(harness: Harness) -> None:
    tracking_number = await in_review(harness)
    bare = await act(harness, tracking_number, create_officer(), "rejected")
    assert bare.status_code == 422 and bare.json()["code"] == "note-required"
    with_note = await act(harness, tracking_number, create_officer(), "rejected", note="The licence is suspended.")
    assert with_note.json()["status"] == "rejected"


async def test_an_officer_of_another_ministry_sees_and_moves_none_of_its_requests(harness: Harness) -> None:
    tracking_number = (await harness.submit()).json()["tracking_number"]
    stranger = create_officer(ministry="moh", subject="officer-moh")
    moved = await act(harness, tracking_number, stranger, "received")
    assert moved.status_code == 403
    assigned = await harness.client.post(f"/api/v1/ministry/requests/{tracking_number}/assign",
                                         headers=harness.as_(stranger), json={"assignee": "me"})
    assert assigned.status_code == 404
    seen = await harness.client.get(f"/api/v1/requests/{tracking_number}", headers=harness.as_(stranger))
    assert seen.status_code == 404
    queue = await harness.client.get("/api/v1/ministry/requests", headers=harness.as_(stranger))
    assert queue.json()["total"] == 0
    counted = await harness.client.post("/api/v1/ministry/channel-counts", headers=harness.as_(stranger), json={
        "service": "renew-licence", "month": "2026-01", "channel": "post", "completed": 4})
    assert counted.status_code == 403
    workload = await harness.client.get("/api/v1/ministry/workload", headers=harness.as_(stranger))
    assert workload.json() == {"services": [], "officers": []}
    assert (await harness.status_of(tracking_number))["status"] == "submitted"


MINISTRY_ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", "/api/v1/ministry/requests/{tn}/status", {"status": "received"}),
    ("POST", "/api/v1/ministry/requests/{tn}/assign", {"assignee": "me"}),
    ("GET", "/api/v1/ministry/requests", None),
    ("POST", "/api/v1/ministry/documents", {"national_id": "12345678", "document_type": "passport",
                                            "number": "P1", "issued_on": "2026-01-01"}),
    ("POST", "/api/v1/ministry/channel-counts", {"service": "renew-licence", "month": "2026-01",
                                                 "channel": "post", "completed": 1}),
    ("GET", "/api/v1/ministry/workload", None),
]


async def test_a_citizen_is_refused_on_every_ministry_route(harness: Harness) -> None:
    tracking_number = (await harness.submit()).json()["tracking_number"]
    for method, path, body in MINISTRY_ROUTES:
        response = await harness.client.request(method, path.format(tn=tracking_number), json=body,
                                                headers=harness.as_(create_citizen()))
        assert response.status_code == 403, path


async def test_a_service_manager_reads_the_queue_but_never_moves_a_request(harness: Harness) -> None:
    tracking_number = (await harness.submit()).json()["tracking_number"]
    manager = create_service_manager()
    refused = {path for method, path, body in MINISTRY_ROUTES if method == "POST"}
    for method, path, body in MINISTRY_ROUTES:
        response = await harness.client.request(method, path.format(tn=tracking_number), json=body,
                                                headers=harness.as_(manager))
        assert response.status_code == (403 if path in refused else 200), path
    assert (await as_staff(harness, tracking_number, manager))["status"] == "submitted"


async def test_an_officer_takes_a_request_and_a_second_taking_it_meanwhile_is_told(harness: Harness) -> None:
    tracking_number = (await harness.submit()).json()["tracking_number"]
    url = f"/api/v1/ministry/requests/{tracking_number}/assign"
    taken = await harness.client.post(url, headers=harness.as_(create_officer()),
                                      json={"assignee": "me", "expected_assignee": None})
    assert taken.json()["assignee"] == {"id": "officer-7", "name": "Salim Al-Harthi"}
    late = await harness.client.post(url, headers=harness.as_(create_officer(subject="officer-9")),
                                     json={"assignee": "me", "expected_assignee": None})
    assert late.status_code == 409 and late.json()["code"] == "assignment-changed"
    assert late.json()["current_assignee"] == "officer-7"
    assert (await harness.status_of(tracking_number))["assignee"] is None
    released = await harness.client.post(url, headers=harness.as_(create_officer()),
                                         json={"assignee": None, "expected_assignee": "officer-7"})
    assert released.json()["assignee"] is None


async def test_the_queue_filters_counts_and_orders_by_due_date_fifty_a_page(harness: Harness) -> None:
    harness.app.state.deps = dataclasses.replace(harness.app.state.deps, clock=lambda: THURSDAY)
    numbers = [(await harness.submit()).json()["tracking_number"] for _ in range(53)]
    mine = numbers[0]
    await harness.client.post(f"/api/v1/ministry/requests/{mine}/assign", headers=harness.as_(create_officer()),
                              json={"assignee": "me"})
    await act(harness, numbers[1], create_officer(), "received")
    harness.app.state.deps = dataclasses.replace(harness.app.state.deps,
                                                 clock=lambda: datetime(2026, 2, 1, tzinfo=UTC))

    async def queue(**params: str) -> dict[str, Any]:
        response = await harness.client.get("/api/v1/ministry/requests", params=params,
                                            headers=harness.as_(create_officer()))
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    first = await queue()
    assert first["total"] == 53 and len(first["items"]) == 50
    assert [i["tracking_number"] for i in first["items"]] == numbers[:50]
    assert [i["tracking_number"] for i in (await queue(page="2"))["items"]] == numbers[50:]
    assert first["counts"] | {} == {"submitted": 52, "received": 1, "in_review": 0, "action_required": 0,
                                    "approved": 0, "rejected": 0, "completed": 0, "cancelled": 0, "overdue": 53,
                                    "assigned_to_me": 1, "unassigned": 52, "stalled": 0}
    assert [i["tracking_number"] for i in (await queue(assigned="me"))["items"]] == [mine]
    assert [i["tracking_number"] for i in (await queue(assigned="officer-7"))["items"]] == [mine]
    assert (await queue(assigned="none"))["total"] == 52
    assert [i["tracking_number"] for i in (await queue(status="received"))["items"]] == [numbers[1]]
    assert (await queue(overdue="true", service="renew-licence"))["total"] == 53
    assert (await queue(service="another-service"))["total"] == 0
    assert first["items"][0]["assignee"] == {"id": "officer-7", "name": "Salim Al-Harthi"}


async def test_no_national_id_or_contact_detail_reaches_the_logs_during_a_whole_flow(harness: Harness) -> None:
    citizen = create_citizen(national_id="87654321", name="Huda Al-Rawahi")
    phone, email = "91234567", "huda@example.om"
    await harness.publish_service(create_service_record(slug="contact-service"))
    with structlog.testing.capture_logs() as logs:
        submitted = await harness.client.post("/api/v1/requests", headers=harness.as_(citizen), json={
            "service": "renew-licence", "fields": {"licence": "L-1234", "phone": phone}})
        tracking_number = submitted.json()["tracking_number"]
        for status in ("received", "in_review", "approved"):
            await act(harness, tracking_number, create_officer(), status)
        await act(harness, tracking_number, create_officer(), "completed", document={
            "document_type": "driving_licence", "number": "DL-5566", "issued_on": "2026-01-10",
            "expires_on": "2036-01-10"})
        await harness.client.post(f"/api/v1/requests/{tracking_number}/rating", headers=harness.as_(citizen),
                                  json={"score": 5, "comment": f"call me on {phone} or {email}"})
        await harness.client.post("/api/v1/ministry/documents", headers=harness.as_(create_ministry_identity()),
                                  json={"national_id": citizen.subject, "document_type": "passport",
                                        "number": "P7788", "issued_on": "2026-01-01", "expires_on": "2026-03-01"})
        await harness.client.get("/api/v1/me/documents", headers=harness.as_(citizen))
        await harness.client.put("/api/v1/me/proactive", headers=harness.as_(citizen), json={"enabled": False})
        await harness.client.get("/api/v1/ministry/requests", headers=harness.as_(create_admin()))
    assert logs, "the flow logged nothing: the capture is not working"
    written = json.dumps(logs, default=str)
    for secret in (citizen.subject, phone, email, "Huda"):
        assert secret not in written


async def test_an_officer_repeating_a_move_someone_already_made_is_told_and_nothing_is_recorded(
        harness: Harness) -> None:
    tracking_number = (await harness.submit()).json()["tracking_number"]
    assert (await act(harness, tracking_number, create_officer(subject="officer-1"), "received")).status_code == 200
    again = await act(harness, tracking_number, create_officer(subject="officer-2"), "received")
    assert again.status_code == 409
    assert (again.json()["code"], again.json()["current_status"]) == ("status-changed", "received")
    assert [h["status"] for h in (await as_staff(harness, tracking_number))["history"]] == ["submitted", "received"]


async def test_portal_staff_read_any_ministrys_queue_and_workload_but_name_it_and_move_nothing(
        harness: Harness) -> None:
    tracking_number = (await harness.submit()).json()["tracking_number"]
    admin = harness.as_(create_admin())
    queue = await harness.client.get("/api/v1/ministry/requests", headers=admin, params={"ministry": "rop"})
    assert [r["tracking_number"] for r in queue.json()["items"]] == [tracking_number]
    load = await harness.client.get("/api/v1/ministry/workload", headers=admin, params={"ministry": "rop"})
    assert [s["service"] for s in load.json()["services"]] == ["renew-licence"]
    unnamed = await harness.client.get("/api/v1/ministry/requests", headers=admin)
    assert (unnamed.status_code, unnamed.json()["code"]) == (422, "ministry-required")
    moved = await harness.client.post(f"/api/v1/ministry/requests/{tracking_number}/status", headers=admin,
                                      json={"status": "received"})
    assert moved.status_code == 403
    other = await harness.client.get("/api/v1/ministry/requests", params={"ministry": "moh"},
                                     headers=harness.as_(create_officer()))
    assert (other.status_code, other.json()["code"]) == (403, "wrong-ministry")
