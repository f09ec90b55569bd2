"""The ministry workspace in a real browser against `portal up`: an officer of mosd (a ministry with no
system of its own) handles a citizen's request end to end, the citizen watching it live."""

import re
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from shared.clock import local_day
from tests.browser.conftest import RunningPortal, axe_violations, sign_in

pytestmark = pytest.mark.e2e

SERVICE = "book-family-counselling-session"
DESIGNED = "register-civil-association"  # another service, so the form change does not touch the road above
SALMA = "90000101"
AISHA_MANAGER = "90000102"
PORTAL_STAFF = "90000001"


def submit_mosd_request(portal: RunningPortal, citizen: str, name: str = "Maryam") -> str:
    """A citizen's new request for a mosd service, through the gateway's API as a citizen's app sends it."""
    with httpx.Client(base_url=portal.url, timeout=30) as client:
        token = client.post("/api/v1/auth/dev-token", json={"national_id": citizen, "name": name}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        fields = {"topic": "parenting", "mode": "phone", "phone": "91234567",
                  "preferred_date": (date.today() + timedelta(days=14)).isoformat()}
        for _ in range(60):  # the requests service learns the catalogue from its events just after start-up
            response = client.post("/api/v1/requests", json={"service": SERVICE, "fields": fields}, headers=headers)
            if response.status_code == 201:
                number: str = response.json()["tracking_number"]
                return number
            time.sleep(0.5)
        raise AssertionError(f"the mosd request was not accepted: {response.status_code} {response.text[:300]}")


def staff_sign_in(page: Page, national_id: str, lang: str = "en") -> None:
    page.goto(f"/workspace/sign-in?lang={lang}")
    page.locator(f'button[data-national-id="{national_id}"]').click()
    page.wait_for_url(re.compile(r"/workspace/"))


def test_an_officer_handles_a_request_end_to_end_and_the_citizen_sees_each_change_live(
        context: BrowserContext, portal: RunningPortal) -> None:
    citizen_id = f"5{uuid.uuid4().int % 10**7:07d}"
    number = submit_mosd_request(portal, citizen_id)
    citizen = context.new_page()
    sign_in(citizen, citizen_id, "Maryam", "en")
    citizen.goto(f"/requests/{number}")
    citizen.evaluate("() => { window.stillTheSamePage = true; }")
    status = citizen.locator("#current-status")

    officer_context = context.browser.new_context(base_url=portal.url, bypass_csp=True)  # type: ignore[union-attr]
    officer = officer_context.new_page()
    officer.set_default_timeout(15_000)
    staff_sign_in(officer, SALMA)
    officer.goto(f"/workspace/?service={SERVICE}&status=submitted")
    officer.locator(f'a[href="/workspace/requests/{number}"]').click()
    officer.wait_for_url(f"**/workspace/requests/{number}")
    expect(officer.locator("#current-status")).to_have_attribute("data-status", "submitted")
    officer.locator("#assign-button").click()
    expect(officer.locator("#assignee")).to_contain_text("Salma Al-Harthy")
    officer.locator("#action-start_review").click()
    expect(officer.locator("#current-status")).to_have_attribute("data-status", "in_review")
    expect(status).to_have_attribute("data-status", "in_review", timeout=20_000)

    officer.fill("#field-ask_info-note", "Please give a phone number we can reach during the day.")
    officer.locator("#correct-phone").check()
    officer.locator("#action-ask_info").click()
    expect(officer.locator("#current-status")).to_have_attribute("data-status", "action_required")
    expect(status).to_have_attribute("data-status", "action_required", timeout=20_000)
    assert citizen.evaluate("() => window.stillTheSamePage") is True  # it changed live, with no reload

    citizen.reload()
    respond = citizen.locator('form[action$="/respond"]')
    expect(respond).to_be_visible()
    expect(citizen.locator("#fields-to-correct")).to_contain_text("Phone number")
    expect(respond.locator("#field-topic")).to_have_count(0)  # only what the officer asked for
    respond.locator("#field-phone").fill("99887766")
    respond.locator("#field-note").fill("My daytime number is 99887766.")
    respond.locator("button[type=submit]").click()
    expect(status).to_have_attribute("data-status", "in_review", timeout=20_000)
    citizen.evaluate("() => { window.stillTheSamePage = true; }")

    officer.reload()
    expect(officer.locator("#current-status")).to_have_attribute("data-status", "in_review")
    expect(officer.locator("main")).to_contain_text("99887766")
    officer.locator("#action-approve").click()
    expect(officer.locator("#current-status")).to_have_attribute("data-status", "approved")
    expect(status).to_have_attribute("data-status", "approved", timeout=20_000)

    document_number = f"MOSD-{uuid.uuid4().hex[:8].upper()}"
    today = datetime.now(UTC).date()
    officer.fill("#field-document_type", "counselling_appointment")
    officer.fill("#field-document_number", document_number)
    officer.fill("#field-issued_on", today.isoformat())
    officer.fill("#field-expires_on", (today + timedelta(days=365)).isoformat())
    officer.locator("#action-complete").click()
    expect(officer.locator("#current-status")).to_have_attribute("data-status", "completed")
    expect(officer.locator("#history")).to_contain_text("Salma Al-Harthy")
    expect(status).to_have_attribute("data-status", "completed", timeout=20_000)
    assert citizen.evaluate("() => window.stillTheSamePage") is True

    citizen.goto("/dashboard")
    expect(citizen.locator("section#documents")).to_contain_text(document_number, timeout=20_000)
    officer_context.close()


def test_a_second_officer_acting_on_a_stale_page_gets_a_plain_message(
        context: BrowserContext, portal: RunningPortal) -> None:
    number = submit_mosd_request(portal, f"5{uuid.uuid4().int % 10**7:07d}")
    first = context.new_page()
    staff_sign_in(first, SALMA)
    first.goto(f"/workspace/requests/{number}")
    second_context = context.browser.new_context(base_url=portal.url)  # type: ignore[union-attr]
    second = second_context.new_page()
    staff_sign_in(second, "90000103")
    second.goto(f"/workspace/requests/{number}")
    first.locator("#action-start_review").click()
    expect(first.locator("#current-status")).to_have_attribute("data-status", "in_review")
    second.locator("#action-start_review").click()  # the page still shows "submitted"
    expect(second.locator("#conflict")).to_be_visible()
    expect(second.locator("#current-status")).to_have_attribute("data-status", "in_review")
    second_context.close()


def test_the_workspace_works_without_javascript(browser_without_js: Page, portal: RunningPortal) -> None:
    number = submit_mosd_request(portal, f"5{uuid.uuid4().int % 10**7:07d}")
    page = browser_without_js
    staff_sign_in(page, SALMA)
    page.goto(f"/workspace/requests/{number}")
    page.locator("#assign-button").click()
    expect(page.locator("#done")).to_be_visible()
    page.locator("#action-start_review").click()
    expect(page.locator("#current-status")).to_have_attribute("data-status", "in_review")


def test_a_service_manager_reorders_previews_and_publishes_a_form_without_javascript(
        browser_without_js: Page) -> None:
    page = browser_without_js
    staff_sign_in(page, AISHA_MANAGER)
    page.goto(f"/workspace/services/{DESIGNED}?lang=en")
    fields = page.locator("ol.ws-fields > li")
    count = fields.count()
    first_name = page.locator("#field-f0-name").input_value()
    page.locator("#add-field").click()
    expect(page.locator("ol.ws-fields > li")).to_have_count(count + 1)
    last = count
    page.fill(f"#field-f{last}-name", "preferred_time")
    page.fill(f"#field-f{last}-label_ar", "الوقت المفضل")
    page.fill(f"#field-f{last}-label_en", "Preferred time")
    page.locator(f"#field-f{last}-required").uncheck()  # citizens already applying are not held up
    page.locator(f'button[name="op"][value="up:{last}"]').click()
    expect(page.locator(f"#field-f{last - 1}-name")).to_have_value("preferred_time")
    expect(page.locator("#preview-en")).to_contain_text("Preferred time")
    expect(page.locator("#preview-ar")).to_contain_text("الوقت المفضل")
    page.locator("#publish").click()
    expect(page.locator("#published")).to_be_visible()
    expect(page.locator("#field-f0-name")).to_have_value(first_name)


def test_a_manual_service_digitised_in_the_designer_takes_online_requests_at_once_and_shows_its_maturity(
        browser_without_js: Page, portal: RunningPortal) -> None:
    slug = "request-elderly-home-care"
    answers = {"elderly_civil_number": "10203040", "relationship": "son_or_daughter", "governorate": "muscat",
               "care_needs": ["personal_care"], "phone": "91234567"}
    with httpx.Client(base_url=portal.url, timeout=30) as client:
        token = client.post("/api/v1/auth/dev-token", json={"national_id": "61234567", "name": "Zahra"}).json()
        citizen = {"Authorization": f"Bearer {token['access_token']}"}

        def apply() -> httpx.Response:
            return client.post("/api/v1/requests", json={"service": slug, "fields": answers}, headers=citizen)

        assert apply().json()["code"] == "service-not-online"
        page = browser_without_js
        staff_sign_in(page, AISHA_MANAGER)
        page.goto(f"/workspace/services/{slug}?lang=en")
        page.select_option("#field-maturity", "electronic")
        page.locator("#publish").click()
        expect(page.locator("#published")).to_be_visible()
        for _ in range(40):  # the requests service hears of the new version over the bus
            accepted = apply()
            if accepted.status_code == 201:
                break
            time.sleep(0.25)
        assert accepted.status_code == 201, accepted.text
        record = client.get(f"/api/v1/services/{slug}").json()
        assert (record["maturity"], record["digitised_on"]) == ("electronic", local_day(datetime.now(UTC)).isoformat())
        assert any(c["kind"] == "online" for c in record["channels"])
        for _ in range(40):
            found = client.get("/api/v1/search", params={"q": "elderly home care", "lang": "en",
                                                        "maturity": "electronic"}).json()
            if any(hit["slug"] == slug for hit in found["hits"]):
                break
            time.sleep(0.25)
        assert any(hit["slug"] == slug for hit in found["hits"])
        assert found["facets"]["maturity"].get("electronic", 0) >= 1


WORKSPACE_PAGES = {
    SALMA: ["/workspace/", "/workspace/requests/{number}", "/workspace/workload", "/workspace/services",
            "/workspace/?ministry=rop"],
    AISHA_MANAGER: ["/workspace/services", f"/workspace/services/{SERVICE}",
                    f"/workspace/services/{SERVICE}/readiness"],
    PORTAL_STAFF: ["/workspace/", "/workspace/admin/onboarding", "/workspace/admin/readiness", "/workspace/services",
                   "/workspace/requests/{number}", "/workspace/?ministry=mosd", "/workspace/find?number=MOSD-1"],
}


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_axe_finds_no_violations_on_any_workspace_page(context: BrowserContext, portal: RunningPortal,
                                                       lang: str) -> None:
    number = submit_mosd_request(portal, f"5{uuid.uuid4().int % 10**7:07d}")
    found: dict[str, list[dict[str, object]]] = {}
    page = context.new_page()
    page.goto(f"/workspace/sign-in?lang={lang}")
    if violations := axe_violations(page):
        found["sign-in"] = violations
    for who, paths in WORKSPACE_PAGES.items():
        staff_sign_in(page, who, lang)
        for path in paths:
            url = path.format(number=number)
            page.goto(f"{url}{'&' if '?' in url else '?'}lang={lang}")
            if violations := axe_violations(page):
                found[f"{who} {url}"] = violations
        if who == SALMA:
            page.goto(f"/workspace/requests/{number}?lang={lang}")
            page.locator("#action-start_review").click()
            page.locator("#action-reject").click()  # no reason: the error summary and inline error
            expect(page.locator("#error-summary")).to_be_visible()
            if violations := axe_violations(page):
                found[f"{who} request with errors"] = violations
        if who == AISHA_MANAGER:
            page.goto(f"/workspace/services/{SERVICE}?lang={lang}")
            page.locator("#add-field").click()
            page.locator("#publish").click()  # a new field with no labels: errors listed
            expect(page.locator("#error-summary")).to_be_visible()
            if violations := axe_violations(page):
                found[f"{who} designer with errors"] = violations
    assert found == {}, found
