"""Portal staff read the templates, preview them with sample values, and watch the providers."""

from collections.abc import AsyncIterator

import httpx
import pytest

from services.notifications.domain import TEMPLATES
from shared.auth import IdentitySigner
from tests.integration.notifications.support import SmtpServer, as_admin, as_citizen, fast_settings, running

pytestmark = pytest.mark.integration


@pytest.fixture
async def client(sqlite_url: str, public_key: str, smtp: SmtpServer) -> AsyncIterator[httpx.AsyncClient]:
    async with running(fast_settings(sqlite_url, public_key, smtp.port)) as (_, client):
        yield client


async def test_staff_see_every_template_with_its_version_in_both_languages(
        client: httpx.AsyncClient, signer: IdentitySigner) -> None:
    response = await client.get("/api/v1/admin/notifications/templates", headers=as_admin(signer))

    assert response.status_code == 200
    templates = response.json()
    assert {t["id"] for t in templates} == {f"request_status.{status}" for status in TEMPLATES} | {
        "renewal_due", "survey_invited", "suggestion_offered"}
    approved = next(t for t in templates if t["id"] == "request_status.approved")
    assert approved["version"] == 1
    assert approved["title"] == {"ar": "تمت الموافقة على طلبك", "en": "Your request was approved"}
    assert "{tracking}" in approved["sms"]["ar"]


async def test_a_preview_fills_the_arabic_email_with_the_sample_values_right_to_left(
        client: httpx.AsyncClient, signer: IdentitySigner) -> None:
    response = await client.post(
        "/api/v1/admin/notifications/templates/request_status.rejected/preview", headers=as_admin(signer),
        json={"lang": "ar", "channel": "email",
              "values": {"tracking_number": "ROP-2025-000777-Z", "service": "تجديد جواز السفر",
                         "note": "<b>الصورة غير واضحة</b>"}})

    assert response.status_code == 200, response.text
    preview = response.json()
    assert (preview["template"], preview["version"], preview["channel"]) == ("request_status.rejected", 1, "email")
    assert preview["subject"] == "تم رفض طلبك"
    assert preview["html"].startswith('<!DOCTYPE html>\n<html lang="ar" dir="rtl">')
    assert '<bdi dir="ltr">ROP-2025-000777-Z</bdi>' in preview["html"]
    assert "<bdi>تجديد جواز السفر</bdi>" in preview["html"]
    assert "&lt;b&gt;الصورة غير واضحة&lt;/b&gt;" in preview["html"]
    assert "<b>" not in preview["html"]
    assert "https://portal.gov.om/requests/ROP-2025-000777-Z" in preview["text"]


async def test_a_preview_of_the_sms_is_one_short_line_without_the_note(
        client: httpx.AsyncClient, signer: IdentitySigner) -> None:
    response = await client.post("/api/v1/admin/notifications/templates/request_status.approved/preview",
                                 headers=as_admin(signer), json={"lang": "en", "channel": "sms"})

    preview = response.json()
    assert response.status_code == 200
    assert preview["subject"] is None and preview["html"] is None
    assert preview["text"] == ("Oman Gov Portal: Your request ROP-2025-000123-F was approved. "
                               "https://portal.gov.om/requests/ROP-2025-000123-F")


async def test_previewing_an_unknown_template_or_bad_values_is_a_clear_problem(
        client: httpx.AsyncClient, signer: IdentitySigner) -> None:
    admin = as_admin(signer)
    unknown = await client.post("/api/v1/admin/notifications/templates/request_status.teleported/preview",
                                headers=admin, json={})
    control = await client.post("/api/v1/admin/notifications/templates/request_status.approved/preview",
                                headers=admin, json={"values": {"note": "bad\x00note"}})
    channel = await client.post("/api/v1/admin/notifications/templates/request_status.approved/preview",
                                headers=admin, json={"channel": "fax"})

    assert unknown.status_code == 404
    assert unknown.json()["code"] == "template-not-found"
    for refused in (control, channel):
        assert refused.status_code == 422
        assert refused.headers["content-type"] == "application/problem+json"


async def test_citizens_cannot_reach_the_staff_pages(client: httpx.AsyncClient, signer: IdentitySigner) -> None:
    citizen = as_citizen(signer)
    for method, path in (("GET", "/api/v1/admin/notifications/templates"),
                         ("POST", "/api/v1/admin/notifications/templates/request_status.approved/preview"),
                         ("GET", "/api/v1/admin/notifications/providers")):
        response = await client.request(method, path, headers=citizen, json={})

        assert response.status_code == 403, path


async def test_operators_see_each_providers_breaker_and_how_many_deliveries_stand_where(
        client: httpx.AsyncClient, signer: IdentitySigner) -> None:
    response = await client.get("/api/v1/admin/notifications/providers", headers=as_admin(signer))

    assert response.status_code == 200
    body = response.json()
    assert [(p["channel"], p["provider"], p["state"]) for p in body["providers"]] == [
        ("email", "smtp", "closed"), ("sms", "sms-sink", "closed")]
    assert body["deliveries"] == []
