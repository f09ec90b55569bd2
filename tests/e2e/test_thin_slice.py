"""The citizen journey through the gateway, over real processes on RabbitMQ."""

import time
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import RunningPortal
from tests.standards import cpsv_ap_findings, violations

pytestmark = pytest.mark.e2e

NEW_SERVICE: dict[str, Any] = {
    "slug": f"hunting-weapon-licence-{uuid.uuid4().hex[:6]}",
    "title": {"ar": "ترخيص سلاح صيد", "en": "Licence a hunting weapon"},
    "description": {"ar": "ترخيص حيازة سلاح صيد للمواطنين وفق الشروط.",
                    "en": "A licence to own a hunting weapon, for citizens who meet the conditions."},
    "keywords": ["سلاح", "صيد", "weapon"],
    "maturity": "electronic",
    "life_events": ["residency"],
    "target_days": 3,
    "steps": [{"title": {"ar": "قدّم الطلب", "en": "Apply"}}],
    "form": [{"name": "weapon_type", "kind": "choice", "label": {"ar": "نوع السلاح", "en": "Weapon type"},
              "choices": ["shotgun", "rifle"]}],
}


def poll(get: Any, until: Any, within: float = 20.0) -> Any:
    deadline = time.monotonic() + within
    while True:
        value = get()
        if until(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in {within}s; last: {value}")
        time.sleep(0.2)


def test_the_gateway_reports_all_five_services_ready(portal: RunningPortal) -> None:
    response = httpx.get(f"{portal.url}/readyz")
    assert response.status_code == 200
    checks = response.json()["checks"]
    assert {name: checks[name] for name in ("catalog", "search", "requests", "notifications")} == {
        "catalog": "ok", "search": "ok", "requests": "ok", "notifications": "ok"}


def test_a_citizen_finds_requests_and_tracks_a_service_a_ministry_just_published(portal: RunningPortal) -> None:
    with httpx.Client(base_url=portal.url, timeout=10) as client:
        sign_in = client.post("/api/v1/auth/dev-token",
                              json={"national_id": "87654321", "name": "Salim", "lang": "ar"})
        citizen = {"Authorization": f"Bearer {sign_in.json()['access_token']}"}
        ministry = {"Authorization": f"Bearer {portal.ministry_key('rop')}"}

        published = client.post("/api/v1/ministry/services", json=NEW_SERVICE, headers=ministry)
        assert published.status_code == 201, published.text

        found = poll(lambda: client.get("/api/v1/search", params={"q": "ترخيص سلاح"}).json(),
                     lambda body: any(h["slug"] == NEW_SERVICE["slug"] for h in body["hits"]))
        assert found["hits"][0]["slug"] == NEW_SERVICE["slug"]

        submitted = client.post("/api/v1/requests", headers=citizen,
                                json={"service": NEW_SERVICE["slug"], "fields": {"weapon_type": "shotgun"}})
        assert submitted.status_code == 201, submitted.text
        tracking_number = submitted.json()["tracking_number"]
        assert tracking_number.startswith("ROP-")

        done = poll(lambda: client.get(f"/api/v1/requests/{tracking_number}", headers=citizen).json(),
                    lambda body: body.get("status") == "completed")
        statuses = [h["status"] for h in done["history"]]
        assert statuses == ["submitted", "received", "in_review", "approved", "completed"]
        assert all(h["actor"] == "ministry" for h in done["history"][1:])
        seen_by_ministry = client.get(f"/api/v1/requests/{tracking_number}", headers=ministry).json()
        assert all(h["actor"] == "ministry:rop" for h in seen_by_ministry["history"][1:])

        # One notification per status change, and the invitation to rate the completed request.
        inbox = poll(lambda: client.get("/api/v1/me/notifications", headers=citizen).json(),
                     lambda body: body["total"] == 6)
        assert {n["title"] for n in inbox["items"][:2]} >= {"اكتمل طلبك"}


def test_another_citizen_cannot_see_someone_elses_request(portal: RunningPortal) -> None:
    with httpx.Client(base_url=portal.url, timeout=10) as client:
        def token(national_id: str) -> dict[str, str]:
            body = client.post("/api/v1/auth/dev-token", json={"national_id": national_id, "name": "x"}).json()
            return {"Authorization": f"Bearer {body['access_token']}"}

        owner, stranger = token("11112222"), token("33334444")
        submitted = client.post("/api/v1/requests", headers=owner, json={
            "service": "renew-vehicle-registration", "fields": {"plate_number": "1234AB", "insurance_valid": True}})
        assert submitted.status_code == 201, submitted.text
        response = client.get(f"/api/v1/requests/{submitted.json()['tracking_number']}", headers=stranger)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"


def test_bad_input_gets_a_problem_document_never_a_server_error(portal: RunningPortal) -> None:
    with httpx.Client(base_url=portal.url, timeout=10) as client:
        no_sign_in = client.post("/api/v1/requests", json={"service": "x"})
        assert no_sign_in.status_code == 401
        assert no_sign_in.json()["code"] == "unauthenticated"
        forged = client.get("/api/v1/requests", headers={"x-portal-identity": "forged",
                                                         "Authorization": "Bearer not-a-token"})
        assert forged.status_code == 401
        unknown_key = client.post("/api/v1/ministry/services", json=NEW_SERVICE,
                                  headers={"Authorization": "Bearer pk_not-a-real-key"})
        assert unknown_key.status_code == 401


def test_through_the_gateway_anyone_filters_the_seeded_catalogue_and_reads_it_in_either_language(
        portal: RunningPortal) -> None:
    with httpx.Client(base_url=portal.url, timeout=10) as client:
        business = client.get("/api/v1/services", params={"audience": "business", "lang": "en"}).json()
        assert business["total"] >= 5
        assert all("business" in s["audience"] and isinstance(s["title"], str) for s in business["items"])
        driving = client.get("/api/v1/services", params={"life_event": "driving", "maturity": "electronic",
                                                          "ministry": "rop"}).json()
        assert {s["ministry"] for s in driving["items"]} == {"rop"}
        assert all(s["maturity"] == "electronic" and "driving" in s["life_events"] for s in driving["items"])
        arabic = client.get("/api/v1/services/renew-driving-licence", params={"lang": "ar"}).json()
        assert arabic["title"] == "تجديد رخصة القيادة"
        assert arabic["evidence"] and arabic["channels"] and arabic["steps"]
        jsonld = client.get("/open-data/catalogue.jsonld")
        assert jsonld.headers["content-type"] == "application/ld+json"
        assert sum(1 for n in jsonld.json()["@graph"] if n.get("@type") == "cpsv:PublicService") >= 60
        assert violations(cpsv_ap_findings(jsonld.json())) == Counter(), "the official CPSV-AP 3.2.0 shapes agree"
