"""The citizen's pages, in process: Arabic first, English on every page, forms that explain mistakes."""

import re

import httpx
import pytest

from tests.unit.gateway.conftest import Portal, csrf_of
from tests.unit.gateway.upstreams import mocked

PAGES = ["/", "/search?q=رخصة", "/services/renew-driving-licence", "/track", "/sign-in", "/performance"]
SIGNED_IN_PAGES = ["/dashboard", "/notifications", "/services/renew-driving-licence/apply"]


@pytest.mark.parametrize("path", PAGES + SIGNED_IN_PAGES)
async def test_every_page_is_arabic_right_to_left_with_a_link_to_the_same_page_in_english(portal: Portal,
                                                                                       path: str) -> None:
    await portal.browser_sign_in()
    arabic = await portal.client.get(path)
    assert arabic.status_code == 200, arabic.text
    assert '<html lang="ar" dir="rtl">' in arabic.text
    switch = re.search(r'<a class="lang-switch" href="([^"]+)"', arabic.text)
    assert switch is not None and "lang=en" in switch.group(1)
    english = await portal.client.get(switch.group(1).replace("&amp;", "&"))
    assert '<html lang="en" dir="ltr">' in english.text
    assert english.url.path == arabic.url.path
    assert '<a class="skip-link" href="#main">' in english.text and '<main id="main"' in english.text


async def test_the_chosen_language_is_kept_from_page_to_page(portal: Portal) -> None:
    await portal.client.get("/?lang=en")
    assert '<html lang="en" dir="ltr">' in (await portal.client.get("/track")).text


async def test_search_results_link_to_service_pages_with_steps_documents_fees_time_and_channels(
        portal: Portal) -> None:
    results = await portal.client.get("/search", params={"q": "تجديد"})
    assert 'href="/services/renew-driving-licence"' in results.text
    assert "<mark>تجديد</mark> &amp;amp; more" not in results.text and "<mark>تجديد</mark> &amp; more" in results.text
    assert "ظهرت لأنها تطابق: renewal</p>" in results.text
    page = (await portal.client.get("/services/renew-driving-licence", params={"lang": "en"})).text
    for expected in ("Steps", "Pay the fee", "Documents you need", "Civil ID card", "Bring the original",
                     "OMR\u00a020.000", "3 working days", "The website",
                     'href="/services/renew-driving-licence/apply"'):
        assert expected in page


async def test_a_fee_is_shown_in_omani_rials_with_three_decimals_in_both_languages(portal: Portal) -> None:
    portal.fakes.services["renew-driving-licence"]["fees"] = [{"channel": "online", "amount_omr": "1250.5",
                                                               "description": None}]
    english = (await portal.client.get("/services/renew-driving-licence", params={"lang": "en"})).text
    arabic = (await portal.client.get("/services/renew-driving-licence", params={"lang": "ar"})).text

    assert "<strong>OMR\u00a01,250.500</strong>" in english
    assert "<strong>\u200f1,250.500\u00a0ر.ع.\u200f</strong>" in arabic


async def test_a_search_service_outage_is_explained_on_the_page(portal: Portal) -> None:
    portal.fakes.failing.add("search")
    page = await portal.client.get("/search", params={"q": "رخصة", "lang": "en"})
    assert page.status_code == 200
    assert "This part is unavailable right now; the rest of the portal works." in page.text


async def test_a_service_that_does_not_exist_gets_an_accessible_not_found_page(portal: Portal) -> None:
    page = await portal.client.get("/services/no-such-service")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html") and "الصفحة غير موجودة" in page.text


async def test_applying_needs_a_sign_in_and_comes_back_to_the_form(portal: Portal) -> None:
    response = await portal.client.get("/services/renew-driving-licence/apply")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=%2Fservices%2Frenew-driving-licence%2Fapply"


async def test_the_development_sign_in_sets_a_httponly_lax_session_cookie(portal: Portal) -> None:
    page = await portal.client.get("/sign-in")
    response = await portal.client.post("/sign-in", data={"csrf_token": csrf_of(page.text),
                                                          "national_id": "12345678", "name": "Aisha",
                                                          "next": "https://evil.example/"})
    cookie = response.headers["set-cookie"].lower()
    assert response.status_code == 303 and response.headers["location"] == "/dashboard"  # no open redirect
    assert "portal_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # plain http in tests; https gets Secure
    https = httpx.AsyncClient(transport=httpx.ASGITransport(app=portal.app), base_url="https://test")
    async with https:
        page = await https.get("/sign-in")
        secure = await https.post("/sign-in", data={"csrf_token": csrf_of(page.text), "national_id": "12345678",
                                                    "name": "Aisha", "next": "/"})
    assert "secure" in secure.headers["set-cookie"].lower()


async def test_a_form_posted_without_its_csrf_token_is_refused(portal: Portal) -> None:
    await portal.browser_sign_in()
    response = await portal.client.post("/services/renew-driving-licence/apply",
                                        data={"licence_number": "AB12345", "delivery": "post", "phone": "91234567",
                                              "csrf_token": "1700000000.forged"})
    assert response.status_code == 403
    assert portal.fakes.submitted == []


async def test_mistakes_are_listed_in_a_summary_and_shown_beside_each_field(portal: Portal) -> None:
    await portal.browser_sign_in()
    form = await portal.client.get("/services/renew-driving-licence/apply?lang=en")
    response = await portal.client.post("/services/renew-driving-licence/apply",
                                        data={"csrf_token": csrf_of(form.text), "licence_number": "AB",
                                              "phone": "12", "copies": "9"})
    page = response.text
    assert response.status_code == 422 and "<title>Error:" in page
    assert 'class="error-summary"' in page
    for field, message in (("licence_number", "This is too short"), ("delivery", "This field is required"),
                           ("phone", "Enter a phone number, like 9123 4567"), ("copies", "This number is too large")):
        assert f'href="#field-{field}"' in page
        assert f'id="field-{field}-error"' in page and message in page
    assert 'aria-describedby="field-licence_number-error" aria-invalid="true"' in page
    assert 'value="AB"' in page  # what the citizen typed is kept
    assert portal.fakes.submitted == []


@pytest.mark.parametrize(("lang", "refusal"), [("ar", "أدخل رقم هاتف صحيحاً"),
                                              ("en", "Enter a phone number, like 9123 4567")])
async def test_a_phone_number_with_00968_or_from_abroad_is_taken_and_a_wrong_one_explained_in_either_language(
        portal: Portal, lang: str, refusal: str) -> None:
    await portal.browser_sign_in()
    form = await portal.client.get(f"/services/renew-driving-licence/apply?lang={lang}")
    answers = {"csrf_token": csrf_of(form.text), "licence_number": "AB12345", "delivery": "post"}
    for typed, kept in (("00968 9123 4567", "+96891234567"), ("+44 7911 123456", "+447911123456")):
        sent = await portal.client.post(f"/services/renew-driving-licence/apply?lang={lang}",
                                        data=answers | {"phone": typed})
        assert sent.status_code == 303 and portal.fakes.submitted[-1]["fields"]["phone"] == kept
    wrong = await portal.client.post(f"/services/renew-driving-licence/apply?lang={lang}",
                                     data=answers | {"phone": "+968 1234 5678"})
    assert wrong.status_code == 422 and refusal in wrong.text


async def test_a_valid_application_is_sent_once_then_redirected_to_its_confirmation(portal: Portal) -> None:
    await portal.browser_sign_in()
    form = await portal.client.get("/services/renew-driving-licence/apply")
    response = await portal.client.post("/services/renew-driving-licence/apply",
                                        data={"csrf_token": csrf_of(form.text), "licence_number": "AB12345",
                                              "delivery": "post", "phone": "٩١٢٣٤٥٦٧", "copies": "2",
                                              "insured": "true"})
    assert response.status_code == 303
    assert portal.fakes.submitted == [{"service": "renew-driving-licence", "fields": {
        "licence_number": "AB12345", "delivery": "post", "phone": "+96891234567", "copies": 2, "insured": True}}]
    confirmation = await portal.client.get(response.headers["location"])
    number = next(iter(portal.fakes.requests))
    assert confirmation.status_code == 200 and number in confirmation.text
    request_page = await portal.client.get(f"/requests/{number}")
    assert "مُرسَل" in request_page.text and 'id="timeline"' in request_page.text


async def test_the_requests_services_own_objections_appear_beside_the_fields(portal: Portal) -> None:
    await portal.browser_sign_in()
    portal.fakes.reject_fields = {"licence_number": "must be at most 12 characters"}
    form = await portal.client.get("/services/renew-driving-licence/apply")
    response = await portal.client.post("/services/renew-driving-licence/apply",
                                        data={"csrf_token": csrf_of(form.text), "licence_number": "AB12345",
                                              "delivery": "post", "phone": "91234567"})
    assert response.status_code == 422
    assert 'id="field-licence_number-error"' in response.text


@pytest.mark.parametrize(("typed", "message"), [
    ("ROP-2026-000001-0", "This tracking number has a typing mistake"),
    ("not a number", "Enter a tracking number like ROP-2026-000042-8"),
])
async def test_a_mistyped_tracking_number_gets_a_clear_error(portal: Portal, typed: str, message: str) -> None:
    page = await portal.client.get("/track", params={"number": typed, "lang": "en"})
    assert page.status_code == 422
    assert message in page.text and 'class="error-summary"' in page.text
    assert 'aria-invalid="true"' in page.text


async def test_a_good_tracking_number_leads_to_the_request_page(portal: Portal) -> None:
    await portal.browser_sign_in()
    form = await portal.client.get("/services/renew-driving-licence/apply")
    await portal.client.post("/services/renew-driving-licence/apply",
                             data={"csrf_token": csrf_of(form.text), "licence_number": "AB12345",
                                   "delivery": "post", "phone": "91234567"})
    number = next(iter(portal.fakes.requests))
    response = await portal.client.get("/track", params={"number": number.lower().replace("-", " - ")})
    assert response.status_code == 303 and response.headers["location"] == f"/requests/{number}"


async def test_another_citizens_request_page_is_not_found(portal: Portal) -> None:
    await portal.browser_sign_in("12345678")
    form = await portal.client.get("/services/renew-driving-licence/apply")
    await portal.client.post("/services/renew-driving-licence/apply",
                             data={"csrf_token": csrf_of(form.text), "licence_number": "AB12345",
                                   "delivery": "post", "phone": "91234567"})
    number = next(iter(portal.fakes.requests))
    await portal.browser_sign_in("87654321")
    for path in (f"/requests/{number}", f"/requests/{number}/confirmation"):
        assert (await portal.client.get(path)).status_code == 404


async def test_notifications_are_listed_newest_first_in_the_citizens_language(portal: Portal) -> None:
    portal.fakes.notifications["12345678"] = [{"id": "1", "kind": "status_changed", "lang": "ar",
                                               "title": "اكتمل طلبك", "body": "طلبك مكتمل.",
                                               "link": "/requests/ROP-2026-000001-A",
                                               "tracking_number": "ROP-2026-000001-A", "read_at": None,
                                               "created_at": "2026-11-23T10:00:00Z"}]
    await portal.browser_sign_in()
    page = await portal.client.get("/notifications")
    assert "اكتمل طلبك" in page.text and 'href="/requests/ROP-2026-000001-A"' in page.text
    # When it came, on Muscat's clock, in the page's language.
    assert ">23 نوفمبر 2026، 2:00 م</time>" in page.text
    assert ">23 November 2026, 2:00\u202fPM</time>" in (await portal.client.get("/notifications?lang=en")).text
    marked = await portal.client.post("/notifications/read-all", data={"csrf_token": csrf_of(page.text)})
    assert (marked.status_code, marked.headers["location"]) == (303, "/notifications")
    assert portal.fakes.notifications["12345678"][0]["read_at"] is not None
    assert 'action="/notifications/read-all"' not in (await portal.client.get("/notifications")).text


async def test_pages_never_load_anything_from_another_site(portal: Portal) -> None:
    page = await portal.client.get("/")
    assert not re.search(r'(src|href)="(https?:)?//', page.text)
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert (await portal.client.get("/static/portal.css")).status_code == 200


async def test_an_unexpected_failure_still_gets_an_accessible_page_or_a_problem_document(
        keypair: tuple[str, str]) -> None:
    from tests.unit.gateway.conftest import start_portal

    app, _ = await start_portal(keypair)

    async def broken(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("a bug, not an outage")

    app.state.deps.upstreams["catalog"] = mocked(broken, "http://c")
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        page = await client.get("/services/renew-driving-licence")
        api = await client.get("/api/v1/services")
    assert page.status_code == 500 and '<html lang="ar" dir="rtl">' in page.text and "حدث خطأ" in page.text
    assert (api.status_code, api.headers["content-type"]) == (500, "application/problem+json")


async def test_a_search_the_search_service_will_not_run_finds_nothing_rather_than_an_outage(portal: Portal) -> None:
    async def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, json={"code": "invalid-input"})

    portal.app.state.deps.upstreams["search"] = mocked(refuse, "http://s")
    page = await portal.client.get("/search", params={"q": "x", "maturity": "nonsense", "lang": "en"})
    assert page.status_code == 200 and "No services match your search" in page.text


async def test_the_application_form_carries_one_idempotency_key_kept_while_mistakes_are_corrected(
        portal: Portal) -> None:
    await portal.browser_sign_in()
    form = (await portal.client.get("/services/renew-driving-licence/apply")).text
    key = form.split('name="idempotency_key" value="', 1)[1].split('"', 1)[0]
    answers = {"csrf_token": csrf_of(form), "idempotency_key": key, "delivery": "post", "phone": "91234567",
               "copies": "2", "insured": "true"}

    corrected = await portal.client.post("/services/renew-driving-licence/apply", data=answers)
    assert corrected.status_code == 422
    assert f'name="idempotency_key" value="{key}"' in corrected.text
    sent = await portal.client.post("/services/renew-driving-licence/apply",
                                    data=answers | {"licence_number": "AB12345"})
    assert sent.status_code == 303
    assert portal.fakes.idempotency_keys == [key]
    other_form = (await portal.client.get("/services/renew-driving-licence/apply")).text
    assert f'value="{key}"' not in other_form
