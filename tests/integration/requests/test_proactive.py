"""Proactive services: a document issued by a ministry becomes one renewal offer ahead of its expiry, ready to
submit in one step, however often the event arrives or the scan runs."""

import asyncio
import dataclasses
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from services.requests import handlers
from services.requests.domain.renewals import Document
from services.requests.store import offers, outbox
from shared.bus import Envelope
from shared.bus.topology import FROM_MINISTRIES, ministry_broker_user
from shared.contracts.ministries import DocumentIssued
from shared.contracts.requests import RenewalDue
from tests.factories import create_citizen, create_ministry_identity
from tests.integration.bus.helpers import eventually
from tests.integration.requests.factories import create_child_benefit_service, create_renewal_service
from tests.integration.requests.helpers import Harness

pytestmark = pytest.mark.integration
NEW_YEAR = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def set_clock(harness: Harness, at: datetime) -> None:
    harness.app.state.deps = dataclasses.replace(harness.app.state.deps, clock=lambda: at)


async def record(harness: Harness, number: str = "DL-1001", expires_on: date | None = date(2026, 1, 20),
                 document_type: str = "driving_licence", national_id: str = "12345678", ministry: str = "rop",
                 **extra: Any) -> Any:
    response = await harness.client.post("/api/v1/ministry/documents",
                                         headers=harness.as_(create_ministry_identity(ministry)),
                                         json={"national_id": national_id, "document_type": document_type,
                                               "number": number, "issued_on": "2016-01-20",
                                               "expires_on": expires_on.isoformat() if expires_on else None}
                                         | extra)
    assert response.status_code in (200, 201), response.text
    return response


async def renewals_due(harness: Harness) -> int:
    async with harness.app.state.runtime.engine.connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(outbox)
                                             .where(outbox.c.type == RenewalDue.TYPE))).scalar() or 0)


async def offer_count(harness: Harness) -> int:
    async with harness.app.state.runtime.engine.connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(offers))).scalar() or 0)


async def my_offers(harness: Harness, **params: str) -> dict[str, Any]:
    response = await harness.client.get("/api/v1/me/offers", params=params, headers=harness.as_(create_citizen()))
    body: dict[str, Any] = response.json()
    return body


async def ministry_issues(harness: Harness, expires_on: date, event_id: str, ministry: str = "rop") -> None:
    event = DocumentIssued(national_id="12345678", document_type="driving_licence", number="DL-2002",
                           issued_on=date(2016, 1, 1), expires_on=expires_on, occurred_at=datetime.now(UTC))
    envelope = Envelope(type=DocumentIssued.TYPE, source=f"/ministries/{ministry}",
                        data=event.model_dump(mode="json"), id=event_id)
    await harness.bus.publish(envelope, FROM_MINISTRIES, f"{ministry}.document.issued",
                              user_id=ministry_broker_user(ministry, harness.bus.vhost))


@pytest.fixture(autouse=True)
async def renewal_service(harness: Harness) -> None:
    await harness.publish_service(create_renewal_service())
    await harness.publish_service(create_renewal_service(slug="issue-birth-certificate", ministry="moh",
                                                         issues_documents=("birth_certificate",)))


async def test_a_licence_expiring_within_the_window_gives_one_offer_and_one_renewal_due(harness: Harness) -> None:
    set_clock(harness, NEW_YEAR)
    first = await record(harness)
    again = await record(harness)
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    body = await my_offers(harness)
    assert body["proactive"] is True
    [offer] = body["items"]
    assert offer | {"id": None, "created_at": None} == {
        "id": None, "kind": "renewal", "service": "renew-driving-licence", "ministry": "rop", "status": "open",
        "reason": {"code": "document_expiring", "document_type": "driving_licence", "document_number": "DL-1001",
                   "expires_on": "2026-01-20", "days_ahead": 30, "life_event": None},
        "prefill": {"licence_number": "DL-1001"}, "missing_fields": [], "tracking_number": None, "created_at": None}
    assert await renewals_due(harness) == 1


async def test_a_redelivered_document_event_makes_no_second_offer(harness: Harness) -> None:
    event_id = str(uuid.uuid4())
    expires_on = datetime.now(UTC).date() + timedelta(days=10)
    await ministry_issues(harness, expires_on, event_id)
    await ministry_issues(harness, expires_on, event_id)
    await ministry_issues(harness, expires_on, str(uuid.uuid4()))

    async def handled() -> bool:
        return harness.bus.queues["requests.from.rop"].messages.qsize() == 0 and await offer_count(harness) == 1

    await eventually(handled)
    await asyncio.sleep(0.2)
    assert await offer_count(harness) == 1
    assert await renewals_due(harness) == 1
    assert await harness.dead_letter_reasons(0) == []


async def test_the_scan_offers_a_renewal_once_the_window_opens_even_run_twice_at_once(harness: Harness) -> None:
    set_clock(harness, NEW_YEAR)
    await record(harness, expires_on=date(2026, 3, 1))
    assert await offer_count(harness) == 0
    later = dataclasses.replace(harness.app.state.deps, clock=lambda: datetime(2026, 2, 1, tzinfo=UTC))
    made = await asyncio.gather(handlers.scan_renewals(later), handlers.scan_renewals(later))
    assert sorted(made) == [0, 1]
    assert await handlers.scan_renewals(later) == 0
    assert await offer_count(harness) == 1
    assert await renewals_due(harness) == 1


async def test_a_citizen_who_opted_out_gets_no_offer_and_no_renewal_due(harness: Harness) -> None:
    set_clock(harness, NEW_YEAR)
    await record(harness, number="DL-OLD")
    opted = await harness.client.put("/api/v1/me/proactive", headers=harness.as_(create_citizen()),
                                     json={"enabled": False})
    assert opted.json() == {"proactive": False}
    await record(harness, number="DL-NEW")
    await handlers.scan_renewals(harness.app.state.deps)
    body = await my_offers(harness, status="all")
    assert body["proactive"] is False
    assert [(o["reason"]["document_number"], o["status"]) for o in body["items"]] == [("DL-OLD", "withdrawn")]
    assert await renewals_due(harness) == 1
    assert (await my_offers(harness))["items"] == []
    withdrawn = body["items"][0]["id"]
    refused = await harness.client.post(f"/api/v1/me/offers/{withdrawn}/submit", headers=harness.as_(create_citizen()))
    assert (refused.status_code, refused.json()["code"]) == (409, "offer-withdrawn")


async def test_opting_in_again_brings_back_the_withdrawn_offers_and_the_scan_resumes(harness: Harness) -> None:
    set_clock(harness, NEW_YEAR)
    await record(harness, number="DL-OLD")
    citizen = harness.as_(create_citizen())
    await harness.client.put("/api/v1/me/proactive", headers=citizen, json={"enabled": False})
    await record(harness, number="DL-NEW")
    back = await harness.client.put("/api/v1/me/proactive", headers=citizen, json={"enabled": True})
    assert back.json() == {"proactive": True}
    assert await handlers.scan_renewals(harness.app.state.deps) == 1
    offered = sorted(o["reason"]["document_number"] for o in (await my_offers(harness))["items"])
    assert offered == ["DL-NEW", "DL-OLD"]
    assert await renewals_due(harness) == 2


async def test_the_prefilled_renewal_submits_in_one_step(harness: Harness) -> None:
    set_clock(harness, NEW_YEAR)
    await record(harness)
    [offer] = (await my_offers(harness))["items"]
    url = f"/api/v1/me/offers/{offer['id']}/submit"
    submitted = await harness.client.post(url, headers=harness.as_(create_citizen()))
    assert submitted.status_code == 201, submitted.text
    tracking_number = submitted.json()["tracking_number"]
    request = await harness.status_of(tracking_number)
    assert (request["service"], request["fields"]) == ("renew-driving-licence", {"licence_number": "DL-1001"})
    twice = await harness.client.post(url, headers=harness.as_(create_citizen()), json={"fields": {}})
    assert twice.status_code == 409
    assert twice.json() | {"detail": None} == twice.json() | {"detail": None, "code": "offer-already-submitted",
                                                              "tracking_number": tracking_number}
    [kept] = (await my_offers(harness, status="all"))["items"]
    assert (kept["status"], kept["tracking_number"]) == ("submitted", tracking_number)


async def test_the_citizens_answers_go_over_the_prefill_and_bad_ones_are_refused_with_nothing_written(
        harness: Harness) -> None:
    set_clock(harness, NEW_YEAR)
    await record(harness)
    [offer] = (await my_offers(harness))["items"]
    url = f"/api/v1/me/offers/{offer['id']}/submit"
    bad = await harness.client.post(url, headers=harness.as_(create_citizen()), json={"fields": {"phone": "123"}})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid-fields"
    assert [e["field"] for e in bad.json()["errors"]] == ["phone"]
    assert (await my_offers(harness))["items"][0]["status"] == "open"
    good = await harness.client.post(url, headers=harness.as_(create_citizen()),
                                     json={"fields": {"phone": "91234567"}})
    fields = (await harness.status_of(good.json()["tracking_number"]))["fields"]
    assert fields == {"licence_number": "DL-1001", "phone": "+96891234567"}


async def test_a_dismissed_offer_cannot_be_submitted_and_is_no_one_elses_to_dismiss(harness: Harness) -> None:
    set_clock(harness, NEW_YEAR)
    await record(harness)
    [offer] = (await my_offers(harness))["items"]
    stranger = await harness.client.post(f"/api/v1/me/offers/{offer['id']}/dismiss",
                                         headers=harness.as_(create_citizen(national_id="99990000")))
    assert stranger.status_code == 404
    dismissed = await harness.client.post(f"/api/v1/me/offers/{offer['id']}/dismiss",
                                          headers=harness.as_(create_citizen()))
    assert dismissed.json()["status"] == "dismissed"
    refused = await harness.client.post(f"/api/v1/me/offers/{offer['id']}/submit",
                                        headers=harness.as_(create_citizen()))
    assert refused.status_code == 409 and refused.json()["code"] == "offer-dismissed"


async def test_a_birth_suggests_the_child_benefit_with_the_guardian_filled_in(harness: Harness) -> None:
    await harness.publish_service(create_child_benefit_service())
    await record(harness, number="BC-42", expires_on=None, document_type="birth_certificate", ministry="moh")
    [offer] = (await my_offers(harness))["items"]
    assert (offer["kind"], offer["service"], offer["reason"]["code"], offer["reason"]["life_event"]) == (
        "life_event", "child-benefit", "life_event", "birth")
    assert offer["prefill"] == {"guardian_civil_number": "12345678"}
    assert offer["missing_fields"] == ["child_civil_number", "iban"]
    assert await renewals_due(harness) == 0


async def test_the_citizens_documents_come_expiring_soonest_first_with_their_offer(harness: Harness) -> None:
    set_clock(harness, NEW_YEAR)
    await record(harness, number="BC-1", expires_on=None, document_type="birth_certificate", ministry="moh")
    await record(harness, number="DL-LATER", expires_on=date(2030, 1, 1))
    await record(harness, number="DL-SOON")
    await record(harness, number="DL-OTHER", national_id="55556666")
    response = await harness.client.get("/api/v1/me/documents", headers=harness.as_(create_citizen()))
    items = response.json()["items"]
    assert [i["number"] for i in items] == ["DL-SOON", "DL-LATER", "BC-1"]
    assert items[0]["offer"]["service"] == "renew-driving-licence" and items[1]["offer"] is None


async def test_a_document_issued_with_the_completion_is_on_the_citizens_record(harness: Harness) -> None:
    tracking_number = (await harness.submit()).json()["tracking_number"]
    ministry = create_ministry_identity()
    for status in ("received", "in_review", "approved"):
        await harness.client.post(f"/api/v1/ministry/requests/{tracking_number}/status",
                                  headers=harness.as_(ministry), json={"status": status})
    licence = {"document_type": "driving_licence", "number": "X", "issued_on": "2026-01-01"}
    early = await harness.client.post(f"/api/v1/ministry/requests/{tracking_number}/status",
                                      headers=harness.as_(ministry), json={"status": "approved", "document": licence})
    assert early.status_code == 422
    done = await harness.client.post(f"/api/v1/ministry/requests/{tracking_number}/status",
                                     headers=harness.as_(ministry), json={"status": "completed", "document": {
                                         "document_type": "driving_licence", "number": "DL-NEW-9",
                                         "issued_on": "2026-01-01", "expires_on": "2036-01-01"}})
    assert done.json() == {"outcome": "apply", "status": "completed"}
    [document] = (await harness.client.get("/api/v1/me/documents", headers=harness.as_(create_citizen()))
                  ).json()["items"]
    assert (document["number"], document["tracking_number"]) == ("DL-NEW-9", tracking_number)


async def test_a_licence_renewed_at_the_counter_withdraws_the_old_offer_and_is_offered_again_before_its_new_expiry(
        harness: Harness) -> None:
    set_clock(harness, NEW_YEAR)
    first = await record(harness)
    renewed = await harness.client.post("/api/v1/ministry/documents", headers=harness.as_(create_ministry_identity()),
                                        json={"national_id": "12345678", "document_type": "driving_licence",
                                              "number": "DL-1001", "issued_on": "2026-01-02",
                                              "expires_on": "2036-01-20"})
    assert (renewed.status_code, renewed.json()["id"]) == (200, first.json()["id"])
    assert (await my_offers(harness))["items"] == []
    set_clock(harness, datetime(2036, 1, 1, tzinfo=UTC))
    assert await handlers.scan_renewals(harness.app.state.deps) == 1
    [offer] = (await my_offers(harness))["items"]
    assert offer["reason"]["expires_on"] == "2036-01-20"
    assert await renewals_due(harness) == 2


async def test_a_licence_reissued_without_an_expiry_withdraws_the_open_renewal(harness: Harness) -> None:
    set_clock(harness, NEW_YEAR)
    await record(harness)
    assert len((await my_offers(harness))["items"]) == 1
    await harness.client.post("/api/v1/ministry/documents", headers=harness.as_(create_ministry_identity()),
                              json={"national_id": "12345678", "document_type": "driving_licence",
                                    "number": "DL-1001", "issued_on": "2026-01-02"})
    assert (await my_offers(harness))["items"] == []


@pytest.mark.parametrize("scan_seconds", [0.05])
async def test_the_background_scan_offers_a_renewal_for_a_document_recorded_before_its_window(
        harness: Harness) -> None:
    today = datetime.now(UTC).date()
    document = Document(id=str(uuid.uuid4()), ministry="rop", citizen="12345678", document_type="driving_licence",
                        number="DL-SCAN", issued_on=today - timedelta(days=3650), expires_on=today + timedelta(days=5))
    async with harness.app.state.deps.uow() as uow:
        await uow.documents.keep(document, datetime.now(UTC))
        await uow.commit()

    async def offered() -> bool:
        return len((await my_offers(harness))["items"]) == 1

    await eventually(offered)
    assert await renewals_due(harness) == 1


async def test_the_same_document_reported_twice_at_once_is_kept_once_with_one_offer(harness: Harness) -> None:
    set_clock(harness, NEW_YEAR)
    responses = await asyncio.gather(record(harness), record(harness), record(harness))
    assert sorted(r.status_code for r in responses) == [200, 200, 201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert await offer_count(harness) == 1
    assert await renewals_due(harness) == 1


async def test_a_double_click_on_submit_makes_one_request(harness: Harness) -> None:
    set_clock(harness, NEW_YEAR)
    await record(harness)
    [offer] = (await my_offers(harness))["items"]
    url = f"/api/v1/me/offers/{offer['id']}/submit"
    responses = await asyncio.gather(*(harness.client.post(url, headers=harness.as_(create_citizen()))
                                       for _ in range(3)))
    assert sorted(r.status_code for r in responses) == [201, 409, 409]
    mine = await harness.client.get("/api/v1/requests", headers=harness.as_(create_citizen()))
    assert [i["service"] for i in mine.json()["items"]] == ["renew-driving-licence"]


@pytest.mark.parametrize("whose", ["another ministry's", "unknown", "another citizen's"])
async def test_a_document_links_only_to_one_of_the_ministrys_own_requests_of_that_citizen(
        harness: Harness, whose: str) -> None:
    tracking_number = (await harness.submit()).json()["tracking_number"]  # rop's, for citizen 12345678
    ministry, national_id = "rop", "12345678"
    if whose == "another ministry's":
        ministry = "moh"
    elif whose == "unknown":
        tracking_number = tracking_number[:-1] + ("0" if tracking_number[-1] != "0" else "1")
    else:
        national_id = "87654321"
    response = await harness.client.post("/api/v1/ministry/documents", headers=harness.as_(
        create_ministry_identity(ministry)), json={"national_id": national_id, "document_type": "driving_licence",
                                                   "number": "DL-77", "issued_on": "2026-01-01",
                                                   "tracking_number": tracking_number})
    assert response.status_code in (403, 422), response.text
    assert await offer_count(harness) == 0
    assert (await harness.client.get("/api/v1/me/documents", headers=harness.as_(create_citizen()))
            ).json()["items"] == []


@pytest.mark.parametrize("document_type", ["driving_licence", "made_up_permit"])
async def test_a_ministry_issues_only_the_document_types_its_services_renew_or_declare(
        harness: Harness, document_type: str) -> None:
    set_clock(harness, NEW_YEAR)
    response = await harness.client.post("/api/v1/ministry/documents", headers=harness.as_(
        create_ministry_identity("moh")), json={"national_id": "12345678", "document_type": document_type,
                                                "number": "DL-66", "issued_on": "2016-01-20",
                                                "expires_on": "2026-01-20"})
    assert response.status_code == 403 and response.json()["code"] == "document-type-not-yours", response.text
    assert await offer_count(harness) == 0 and await renewals_due(harness) == 0
    assert (await harness.client.get("/api/v1/me/documents", headers=harness.as_(create_citizen()))
            ).json()["items"] == []


async def test_a_document_type_of_another_ministry_on_the_bus_is_dead_lettered_with_the_reason(
        harness: Harness) -> None:
    set_clock(harness, NEW_YEAR)
    await harness.publish_service(create_renewal_service(slug="issue-health-card", ministry="moh"))
    await ministry_issues(harness, date(2026, 1, 20), str(uuid.uuid4()), ministry="moh")
    [reason] = await harness.dead_letter_reasons(1)
    assert reason.startswith("document-type-not-yours")
    assert await offer_count(harness) == 0 and await renewals_due(harness) == 0
