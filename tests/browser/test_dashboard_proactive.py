"""The dashboard's issued documents and offers, and rating a completed request, in a real browser against
`portal up`: the simulated ministry completes a licence renewal and issues the licence."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import axe_violations, sign_in

pytestmark = pytest.mark.e2e

CITIZENS = {"ar": "71717171", "en": "72727272"}


def renew_a_licence(page: Page) -> str:
    page.goto("/services/renew-driving-licence/apply")
    page.fill("#field-licence_number", "AB12345")
    page.locator('input[name="delivery"][value="post"]').check()
    page.fill("#field-phone", "91234567")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/confirmation$"))
    return page.locator(".tracking-number").inner_text().strip()


def document_number(tracking_number: str) -> str:
    """The number the simulated ministry gives the licence it issues (see portal/simulator.py)."""
    ministry, year, sequence, _ = tracking_number.split("-")
    return f"{ministry}{year[2:]}{sequence}"


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_the_issued_licence_shows_on_the_dashboard_and_the_request_can_be_rated_once(page: Page, lang: str) -> None:
    sign_in(page, CITIZENS[lang], "Aisha", lang)
    expect(page.locator("section#documents")).to_be_visible()
    expect(page.locator("section#offers")).to_be_visible()
    assert axe_violations(page) == []

    tracking_number = renew_a_licence(page)
    page.goto(f"/requests/{tracking_number}")
    expect(page.locator("#current-status")).to_have_attribute("data-status", "completed", timeout=30_000)

    number = document_number(tracking_number)
    for _ in range(20):
        page.goto("/dashboard")
        if page.locator("section#documents", has_text=number).count():
            break
        page.wait_for_timeout(500)
    expect(page.locator("section#documents .document-number", has_text=number)).to_be_visible()
    expect(page.locator('section#offers form[action="/dashboard/proactive"]')).to_be_visible()
    assert axe_violations(page) == []

    page.goto(f"/requests/{tracking_number}")
    page.locator(f'main a[href="/requests/{tracking_number}/rating"]').click()
    page.wait_for_url(f"**/requests/{tracking_number}/rating")
    assert axe_violations(page) == []
    page.locator('label[for="field-score-5"]').click()
    page.fill("#field-comment", "سريع وواضح" if lang == "ar" else "Quick and clear")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**/requests/{tracking_number}/rating/thanks")
    expect(page.locator(".panel h1")).to_have_text("شكراً لتقييمك" if lang == "ar" else "Thank you for your rating")
    assert axe_violations(page) == []

    page.goto(f"/requests/{tracking_number}/rating")
    expect(page.locator("#rating-message")).to_be_visible()
    assert page.locator('input[type="radio"]').count() == 0


def register_a_birth(page: Page) -> str:
    page.goto("/services/issue-birth-certificate/apply")
    page.fill("#field-child_name", "Maryam")
    page.fill("#field-date_of_birth", "2026-11-01")
    page.locator('input[name="hospital"][value="royal"]').check()
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/confirmation$"))
    return page.locator(".tracking-number").inner_text().strip()


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_a_birth_suggests_child_benefit_which_asks_only_for_what_is_missing(page: Page, lang: str) -> None:
    sign_in(page, "73737373" if lang == "ar" else "74747474", "Aisha", lang)
    tracking_number = register_a_birth(page)
    page.goto(f"/requests/{tracking_number}")
    expect(page.locator("#current-status")).to_have_attribute("data-status", "completed", timeout=30_000)

    offer = page.locator('section#offers article.offer', has=page.locator("form[action$='/submit']"))
    for _ in range(20):
        page.goto("/dashboard")
        if offer.count():
            break
        page.wait_for_timeout(500)
    expect(offer.first).to_be_visible()
    benefit = offer.filter(has=page.locator('input[name="iban"]')).first
    expect(benefit.locator('input[name="guardian_civil_number"]')).to_have_count(0)  # filled in for her
    assert axe_violations(page) == []

    benefit.locator('input[name="child_civil_number"]').fill("23456789")
    benefit.locator('input[name="iban"]').fill("OM810180000001299123456")
    benefit.locator('input[name="phone"]').fill("91234567")
    benefit.locator("form[action$='/submit'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/confirmation$"))
    expect(page.locator(".tracking-number")).to_have_text(re.compile(r"^SPF-\d{4}-\d{6}-[0-9A-Z]$"))
