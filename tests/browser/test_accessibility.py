"""axe-core finds nothing wrong on any page, in Arabic or English; the form works by keyboard alone."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import axe_violations, sign_in

pytestmark = pytest.mark.e2e

PUBLIC_PAGES = ["/", "/search?q=رخصة", "/search?q=licence&life_event=driving", "/services/renew-driving-licence",
                "/track", "/track?number=ROP-2026-000001-0", "/sign-in", "/services/no-such-service"]
SIGNED_IN_PAGES = ["/services/renew-driving-licence/apply", "/dashboard", "/notifications"]


def audit(page: Page, path: str, found: dict[str, list[dict[str, object]]]) -> None:
    violations = axe_violations(page)
    if violations:
        found[path] = violations


def apply_for_a_licence(page: Page) -> str:
    page.goto("/services/renew-driving-licence/apply")
    page.fill("#field-licence_number", "AB12345")
    page.locator('input[name="delivery"][value="service_centre"]').check()
    page.fill("#field-phone", "91234567")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/confirmation$"))
    return page.locator(".tracking-number").inner_text().strip()


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_axe_finds_no_violations_on_any_page(page: Page, lang: str) -> None:
    found: dict[str, list[dict[str, object]]] = {}
    for path in PUBLIC_PAGES:
        page.goto(f"{path}{'&' if '?' in path else '?'}lang={lang}")
        audit(page, path, found)
    sign_in(page, "64646464" if lang == "ar" else "65656565", "Aisha", lang)
    for path in SIGNED_IN_PAGES:
        page.goto(path)
        audit(page, path, found)
    page.goto("/services/renew-driving-licence/apply")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#error-summary")).to_be_visible()
    audit(page, "apply (with errors)", found)
    tracking_number = apply_for_a_licence(page)
    audit(page, "confirmation", found)
    page.goto(f"/requests/{tracking_number}")
    audit(page, "request", found)
    assert found == {}, found


def focused(page: Page) -> dict[str, str]:
    found: dict[str, str] = page.evaluate("""() => {
        const e = document.activeElement, s = getComputedStyle(e);
        return {id: e.id, name: e.getAttribute('name') || '', tag: e.tagName.toLowerCase(),
                text: (e.textContent || '').trim(), outline: s.outlineStyle, shadow: s.boxShadow,
                background: s.backgroundColor};
    }""")
    return found


def visibly_focused(state: dict[str, str]) -> bool:
    return state["outline"] not in ("none", "") or state["shadow"] not in ("none", "")


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_the_application_form_can_be_completed_by_keyboard_alone(page: Page, lang: str) -> None:
    sign_in(page, "66666666" if lang == "ar" else "67676767", "Salim", lang)
    page.goto("/services/renew-driving-licence/apply")
    page.keyboard.press("Tab")
    skip = focused(page)
    assert skip["tag"] == "a" and page.locator(".skip-link").is_visible() and visibly_focused(skip)
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main"

    order: list[str] = []
    for _ in range(12):
        page.keyboard.press("Tab")
        state = focused(page)
        assert visibly_focused(state), state
        order.append(state["name"] or state["tag"])
        if state["tag"] == "button":
            break
    assert order == ["licence_number", "delivery", "phone", "button"]

    page.goto("/services/renew-driving-licence/apply")
    for _ in range(20):
        if focused(page)["name"] == "licence_number":
            break
        page.keyboard.press("Tab")
    page.keyboard.type("AB12345")
    page.keyboard.press("Tab")
    assert focused(page)["name"] == "delivery"
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.type("91234567")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/confirmation$"))
    expect(page.locator(".tracking-number")).to_have_text(re.compile(r"^ROP-\d{4}-\d{6}-[0-9A-Z]$"))


def test_a_keyboard_user_lands_on_the_error_summary_and_follows_it_to_the_field(page: Page) -> None:
    sign_in(page, "68686868", "Aisha", "en")
    page.goto("/services/renew-driving-licence/apply")
    page.locator("main form button[type=submit]").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#error-summary")).to_be_focused()
    page.keyboard.press("Tab")
    assert focused(page)["text"].startswith("Licence number")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#field-licence_number$"))


def test_the_audit_itself_catches_an_unlabelled_field(page: Page) -> None:
    page.goto("/")
    page.evaluate("""() => { const field = document.createElement('input');
                             document.querySelector('main').appendChild(field); }""")
    assert "label" in {v["id"] for v in axe_violations(page)}
