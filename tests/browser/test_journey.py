"""A citizen's whole journey in a real browser, in Arabic and in English, against `portal up`."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.e2e

JOURNEYS = {
    "ar": {"query": "تجديد رخصة القيادة", "title": "تجديد رخصة القيادة", "completed": "مكتمل", "citizen": "61616161"},
    "en": {"query": "renew driving licence", "title": "Renew a driving licence", "completed": "Completed",
           "citizen": "62626262"},
}
SERVICE_LINK = 'main a[href="/services/renew-driving-licence"]'


def search_until_found(page: Page, lang: str, query: str) -> None:
    """The search index fills from catalogue events just after start-up: ask again until it has the service."""
    page.goto(f"/?lang={lang}")
    page.get_by_role("searchbox").fill(query)
    page.keyboard.press("Enter")
    for _ in range(30):
        if page.locator(SERVICE_LINK).count():
            return
        page.wait_for_timeout(500)
        page.reload()
    raise AssertionError(f"search never found the service for {query!r}")


# A time as the pages write it (shared/formats.py), e.g. "18 نوفمبر 2026، 3:30 ص" / "18 November 2026, 3:30 AM".
WRITTEN_TIMES = {"ar": re.compile(r"^\d{1,2} \S+ \d{4}، \d{1,2}:\d{2}\s[صم]$"),
                 "en": re.compile(r"^\d{1,2} [A-Z][a-z]+ \d{4}, \d{1,2}:\d{2}\s[AP]M$")}


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_search_apply_and_watch_the_ministry_move_the_request_live(page: Page, lang: str) -> None:
    journey = JOURNEYS[lang]
    search_until_found(page, lang, journey["query"])
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
    page.locator(SERVICE_LINK).first.click()

    expect(page.locator("h1")).to_have_text(journey["title"])
    page.locator('main a[href="/services/renew-driving-licence/apply"]').click()
    page.wait_for_url(re.compile(r"/sign-in\?next="))
    page.fill("#field-national_id", journey["citizen"])
    page.fill("#field-name", "Aisha" if lang == "en" else "عائشة")
    page.locator("main button[type=submit]").click()
    page.wait_for_url("**/services/renew-driving-licence/apply")

    page.fill("#field-licence_number", "AB12345")
    page.locator('input[name="delivery"][value="post"]').check()
    page.fill("#field-phone", "91234567")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/requests/[A-Z]+-\d{4}-\d{6}-[0-9A-Z]/confirmation$"))
    tracking_number = page.locator(".tracking-number").inner_text().strip()

    page.locator(f'main a[href="/requests/{tracking_number}"]').click()
    page.wait_for_url(f"**/requests/{tracking_number}")
    page.evaluate("() => { window.stillTheSamePage = true; }")
    status = page.locator("#current-status")
    expect(status).to_have_attribute("data-status", "completed", timeout=30_000)
    expect(status).to_have_text(journey["completed"])
    assert page.evaluate("() => window.stillTheSamePage") is True  # it changed live, with no reload
    assert page.locator("#timeline li.fresh").count() >= 1
    # When it moved, written as the server writes it: Muscat's clock, the page's language, Latin digits.
    expect(page.locator("#timeline li.fresh time").first).to_have_text(WRITTEN_TIMES[lang])
    expect(page.locator("#live-announcer")).to_have_text(journey["completed"])

    page.locator('nav a[href="/dashboard"]').click()
    expect(page.locator(f'main a[href="/requests/{tracking_number}"]')).to_be_visible()
    page.locator('nav a[href="/notifications"]').click()
    expect(page.locator(f'main a[href="/requests/{tracking_number}"]').first).to_be_visible(timeout=15_000)
    expect(page.locator("html")).to_have_attribute("lang", lang)


def test_a_request_page_works_without_javascript(browser_without_js: Page) -> None:
    page = browser_without_js
    sign_in(page, "63636363", "Salim")
    page.goto("/services/renew-driving-licence/apply")
    page.fill("#field-licence_number", "AB12345")
    page.locator('input[name="delivery"][value="post"]').check()
    page.fill("#field-phone", "91234567")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/confirmation$"))
    page.locator("main a.button").click()
    expect(page.locator("#timeline li").first).to_be_visible()
    expect(page.locator("#refresh-link")).to_be_visible()
