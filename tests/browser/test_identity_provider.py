"""A citizen signs in through an OpenID Connect provider nobody here wrote (`oidc-provider-mock`), in Chromium.

The provider signs its ID tokens with one RSA key and names no `kid`; the portal knows only its issuer, a
client id and the redirect URL (tests/browser/conftest.py), and finds the rest through discovery.
"""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Request, expect

from tests.browser.conftest import BASE_PORT, PROVIDER_CITIZEN, PROVIDER_ISSUER, RunningPortal

pytestmark = pytest.mark.e2e

ISSUER = PROVIDER_ISSUER
CITIZEN = PROVIDER_CITIZEN


@pytest.fixture
def citizen_page(browser: Browser, portal: RunningPortal) -> Iterator[Page]:
    # The pages' own Content-Security-Policy applies: the sign-out form's redirect to the provider must pass it.
    context = browser.new_context(base_url=portal.url, locale="en-GB")
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_a_citizen_signs_in_at_the_provider_submits_a_request_and_signs_out_there_too(
        citizen_page: Page) -> None:
    page = citizen_page
    provider_calls: list[str] = []

    def seen(request: Request) -> None:
        if request.url.startswith(ISSUER):
            provider_calls.append(request.url)

    page.on("request", seen)
    page.goto("/sign-in?lang=en&next=/dashboard")
    page.locator('main a[href^="/sign-in/national-id"]').click()
    page.wait_for_url(f"{ISSUER}/oauth2/authorize?*")
    authorize = next(u for u in provider_calls if "/oauth2/authorize" in u)
    assert "code_challenge_method=S256" in authorize and "code_challenge=" in authorize
    page.locator(f'button[name="sub"][value="{CITIZEN["sub"]}"]').click()

    page.wait_for_url("**/dashboard")
    expect(page.locator("body")).to_contain_text("Maryam Al-Hinai")
    workspace = page.goto("/workspace/")
    assert workspace is not None and workspace.status == 403  # an admin claim from a citizen provider is ignored

    page.goto("/services/renew-driving-licence/apply?lang=en")
    page.fill("#field-licence_number", "AB12345")
    page.locator('input[name="delivery"][value="post"]').check()
    page.fill("#field-phone", "91234567")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/requests/[A-Z]+-\d{4}-\d{6}-[0-9A-Z]/confirmation$"))
    tracking_number = page.locator(".tracking-number").inner_text().strip()
    page.goto("/dashboard")
    expect(page.locator(f'main a[href="/requests/{tracking_number}"]')).to_be_visible()

    page.locator('form[action="/sign-out"] button').click()
    page.wait_for_url(f"{ISSUER}/oauth2/end_session?*")
    end_session = next(u for u in provider_calls if "/oauth2/end_session" in u)
    assert "id_token_hint=" in end_session and "post_logout_redirect_uri=" in end_session
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(f"http://127.0.0.1:{BASE_PORT}/")

    page.goto("/dashboard")
    page.wait_for_url(re.compile(r"/sign-in\?next="))
