"""Proactive renewals, satisfaction and published KPIs, and digitising a manual service: over real processes."""

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from shared.clock import local_day
from shared.contracts.contact import phone_number
from tests.e2e.conftest import RunningPortal
from tests.e2e.test_thin_slice import poll

pytestmark = pytest.mark.e2e

SAMPLE_ANSWERS: dict[str, Any] = {"phone": "91234567", "national_id": "81234567", "text": "sample answer",
                                  "email": "citizen@example.om", "number": 1, "boolean": True,
                                  "date": "2026-12-01", "file": "uploads/sample.pdf"}


def sign_in(client: httpx.Client, national_id: str, **staff: str) -> dict[str, str]:
    body = client.post("/api/v1/auth/dev-token", json={"national_id": national_id, "name": "Mariam",
                                                        "lang": "en", **staff}).json()
    return {"Authorization": f"Bearer {body['access_token']}"}


def answers_for(client: httpx.Client, slug: str, names: list[str]) -> dict[str, Any]:
    form = {f["name"]: f for f in client.get(f"/api/v1/services/{slug}").json()["form"]}
    filled: dict[str, Any] = {}
    for name in names:
        spec = form[name]
        if spec["kind"] == "choice":
            filled[name] = spec["choices"][0]
        elif spec["kind"] == "multi_choice":
            filled[name] = spec["choices"][:1]
        else:
            filled[name] = SAMPLE_ANSWERS[spec["kind"]]
    return filled


def test_a_licence_about_to_expire_is_offered_once_notified_once_and_renewed_in_one_step(
        portal: RunningPortal) -> None:
    national_id = f"7{uuid.uuid4().int % 10**7:07d}"
    number = f"DL{uuid.uuid4().int % 10**7:07d}"
    expires_on = date.today() + timedelta(days=20)
    with httpx.Client(base_url=portal.url, timeout=10) as client:
        citizen = sign_in(client, national_id)
        rop = {"Authorization": f"Bearer {portal.ministry_key('rop')}"}
        document = {"national_id": national_id, "document_type": "driving_licence", "number": number,
                    "issued_on": str(expires_on - timedelta(days=3650)), "expires_on": str(expires_on)}
        first = client.post("/api/v1/ministry/documents", json=document, headers=rop)
        assert first.status_code == 201, first.text
        again = client.post("/api/v1/ministry/documents", json=document, headers=rop)
        assert (again.status_code, again.json()["id"]) == (200, first.json()["id"])

        offers = poll(lambda: client.get("/api/v1/me/offers", headers=citizen).json(),
                      lambda body: len(body["items"]) >= 1)
        (offer,) = offers["items"]
        assert (offer["kind"], offer["reason"]["code"]) == ("renewal", "document_expiring")
        assert (offer["reason"]["document_number"], offer["reason"]["expires_on"]) == (number, str(expires_on))

        def renewal_notices() -> list[dict[str, Any]]:
            items = client.get("/api/v1/me/notifications", headers=citizen).json()["items"]
            return [n for n in items if n["link"].endswith("#offers")]

        poll(renewal_notices, lambda found: len(found) == 1)
        dashboard = client.get("/api/v1/me/dashboard", headers=citizen).json()
        assert dashboard["renewals_due_tracked"] is True
        assert [o["id"] for o in dashboard["renewals_due"]] == [offer["id"]]
        assert number in [d["number"] for d in dashboard["documents"]]

        fields = answers_for(client, offer["service"], offer["missing_fields"])
        submitted = client.post(f"/api/v1/me/offers/{offer['id']}/submit", json={"fields": fields},
                                headers=citizen)
        assert submitted.status_code == 201, submitted.text
        request = client.get(f"/api/v1/requests/{submitted.json()['tracking_number']}", headers=citizen).json()
        assert request["service"] == offer["service"]
        # The request keeps a phone as the portal's one contact rule writes it (E.164).
        kept = {name: phone_number(value) if name == "phone" else value for name, value in fields.items()}
        assert request["fields"] == offer["prefill"] | kept
        twice = client.post(f"/api/v1/me/offers/{offer['id']}/submit", json={"fields": fields}, headers=citizen)
        assert (twice.status_code, twice.json()["code"]) == (409, "offer-already-submitted")
        assert len(renewal_notices()) == 1


def test_a_completed_request_invites_one_rating_and_the_published_kpis_count_it(portal: RunningPortal) -> None:
    slug = f"fishing-permit-{uuid.uuid4().hex[:6]}"
    national_id = f"6{uuid.uuid4().int % 10**7:07d}"
    service = {"slug": slug, "title": {"ar": "تصريح صيد ترفيهي", "en": "Recreational fishing permit"},
               "description": {"ar": "تصريح صيد ترفيهي من الشاطئ.", "en": "A permit to fish from the shore."},
               "maturity": "electronic", "target_days": 3, "life_events": ["residency"],
               "form": [{"name": "area", "kind": "choice", "label": {"ar": "المنطقة", "en": "Area"},
                         "choices": ["muscat", "dhofar"]}]}
    with httpx.Client(base_url=portal.url, timeout=10) as client:
        citizen = sign_in(client, national_id)
        rop = {"Authorization": f"Bearer {portal.ministry_key('rop')}"}
        assert client.post("/api/v1/ministry/services", json=service, headers=rop).status_code == 201
        submitted = poll(lambda: client.post("/api/v1/requests", headers=citizen,
                                             json={"service": slug, "fields": {"area": "dhofar"}}),
                         lambda response: response.status_code == 201)
        tracking_number = submitted.json()["tracking_number"]
        poll(lambda: client.get(f"/api/v1/requests/{tracking_number}", headers=citizen).json(),
             lambda body: body["status"] == "completed" and body["survey_open"])

        def invitations() -> list[dict[str, Any]]:
            items = client.get("/api/v1/me/notifications", headers=citizen).json()["items"]
            return [n for n in items if n["link"].endswith(f"/requests/{tracking_number}/rating")]

        poll(invitations, lambda found: len(found) == 1)
        rated = client.post(f"/api/v1/requests/{tracking_number}/rating", json={"score": 4, "comment": "Quick"},
                            headers=citizen)
        assert rated.status_code == 201, rated.text
        again = client.post(f"/api/v1/requests/{tracking_number}/rating", json={"score": 1}, headers=citizen)
        assert (again.status_code, again.json()["code"]) == (409, "already-rated")

        kpis = client.get("/api/v1/performance", params={"service": slug}).json()
        (row,) = kpis["services"]
        assert (row["started"], row["completed"], row["completion_rate"]) == (1, 1, 1.0)
        assert row["satisfaction"] == {"responses": 1, "csat": 1.0, "mean_score": 4.0}
        csv_text = client.get("/open-data/kpis.csv").text
        assert slug in csv_text
        for personal in (national_id, tracking_number, "Mariam", "Quick"):
            assert personal not in csv_text
            assert personal not in client.get("/open-data/kpis.json").text


def test_a_manual_service_its_ministry_brings_online_takes_requests_at_once_and_shows_its_new_maturity(
        portal: RunningPortal) -> None:
    slug = "request-elderly-home-care"
    with httpx.Client(base_url=portal.url, timeout=10) as client:
        manager = sign_in(client, "90000102", role="service_manager", ministry="mosd")
        citizen = sign_in(client, "81112222")
        live = client.get(f"/api/v1/ministry/services/{slug}", headers=manager).json()["record"]
        assert live["maturity"] == "manual"
        fields = answers_for(client, slug, [f["name"] for f in live["form"]])
        on_paper = client.post("/api/v1/requests", json={"service": slug, "fields": fields}, headers=citizen)
        assert (on_paper.status_code, on_paper.json()["code"]) == (409, "service-not-online")
        online = {"kind": "online", "name": {"ar": "بوابة الخدمات الحكومية", "en": "Government services portal"}}
        draft = {k: v for k, v in live.items() if k not in ("ministry", "ministry_name", "version", "digitised_on")}
        draft |= {"maturity": "electronic", "channels": [*live["channels"], online]}
        published = client.put(f"/api/v1/ministry/services/{slug}", json=draft, headers=manager)
        assert published.status_code == 200, published.text
        assert published.json()["record"]["digitised_on"] == str(local_day(datetime.now(UTC)))

        submitted = poll(lambda: client.post("/api/v1/requests", json={"service": slug, "fields": fields},
                                             headers=citizen),
                         lambda response: response.status_code == 201, within=10)
        assert submitted.json()["tracking_number"].startswith("MOSD-")
        catalogue = client.get(f"/api/v1/services/{slug}").json()
        assert (catalogue["maturity"], catalogue["digitised_on"]) == ("electronic", str(local_day(datetime.now(UTC))))
        found = poll(lambda: client.get("/api/v1/search", params={"q": "elderly home care", "lang": "en",
                                                                  "maturity": "electronic"}).json(),
                     lambda body: any(h["slug"] == slug for h in body["hits"]))
        assert found["facets"]["maturity"].get("electronic", 0) >= 1
        assert "manual" not in found["facets"]["maturity"]
