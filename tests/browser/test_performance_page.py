"""The public performance page in a real browser: no sign-in, axe-core finds nothing, in Arabic and English,
and it works without JavaScript."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import axe_violations

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_the_performance_page_passes_the_axe_audit_in_both_languages(page: Page, lang: str) -> None:
    page.goto(f"/?lang={lang}")
    page.locator('nav a[href="/performance"]').click()
    page.wait_for_url("**/performance")

    expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
    expect(page.locator("#definitions dt").first).to_be_visible()
    expect(page.locator('#open-data a[href="/open-data/kpis.csv"]')).to_be_visible()
    expect(page.locator("#totals")).to_be_visible()
    assert axe_violations(page) == []

    page.select_option("#field-ministry", "rop")
    page.fill("#field-from", "2026-01-01")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/performance\?.*ministry=rop"))
    expect(page.locator("#field-ministry")).to_have_value("rop")
    assert axe_violations(page) == []


def test_a_backwards_period_is_explained_accessibly(page: Page) -> None:
    page.goto("/performance?from=2026-06-30&to=2026-01-01&lang=en")

    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#error-summary")).to_contain_text("The start date must be before the end date")
    assert axe_violations(page) == []


def test_the_charts_come_with_their_tables_without_javascript(browser_without_js: Page) -> None:
    page = browser_without_js
    page.goto("/performance?lang=en")

    expect(page.locator("h1")).to_have_text("Service performance")
    charts = page.locator("figure.chart")
    for index in range(charts.count()):
        kpi = (charts.nth(index).get_attribute("aria-labelledby") or "").removeprefix("chart-").removesuffix(
            "-caption")
        expect(page.locator(f"#table-{kpi} caption")).to_be_visible()
    expect(page.locator('a[href="/open-data/kpis.json"]')).to_be_visible()
