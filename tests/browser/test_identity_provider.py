"""A citizen signs in through an OpenID Connect provider nobody here wrote (`oidc-provider-mock`), in Chromium.

The provider signs its ID tokens with one RSA key and names no `kid`; the portal knows only its issuer, a
client id and the redirect URL, and finds the rest through discovery.
"""

import json
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Request, expect

from tests.browser.conftest import BASE_PORT, RunningPortal, start_portal

pytestmark = pytest.mark.e2e

PROVIDER_PORT = BASE_PORT + 400
PORTAL_PORT = BASE_PORT + 40
ISSUER = f"http://127.0.0.1:{PROVIDER_PORT}"
CITIZEN = {"sub": "71717171", "name": "Maryam Al-Hinai", "role": "admin"}


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("oidc-provider") / "provider.log"
    with log.open("wb") as output:
        process = subprocess.Popen([sys.executable, "-m", "oidc_provider_mock", "--port", str(PROVIDER_PORT),
                                    "--user-claims", json.dumps(CITIZEN)], stdout=output, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(f"{ISSUER}/.well-known/openid-configuration", timeout=2):
                        break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        pytest.fail("oidc-provider-mock did not start:\n" + log.read_text()[-2000:])
                    time.sleep(0.2)
            yield ISSUER
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def portal_with_provider(provider: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPortal]:
    settings = {"GATEWAY_OIDC_ISSUER": provider, "GATEWAY_OIDC_CLIENT_ID": "portal-web",
                "GATEWAY_OIDC_CLIENT_SECRET": "portal-web-secret",
                "GATEWAY_OIDC_REDIRECT_URL": f"http://127.0.0.1:{PORTAL_PORT}/sign-in/callback"}
    with start_portal(tmp_path_factory.mktemp("oidc-run"), PORTAL_PORT, settings) as running:
        yield running


@pytest.fixture
def citizen_page(browser: Browser, portal_with_provider: RunningPortal) -> Iterator[Page]:
    # The pages' own Content-Security-Policy applies: the sign-out form's redirect to the provider must pass it.
    context = browser.new_context(base_url=portal_with_provider.url, locale="en-GB")
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
    page.wait_for_url(f"http://127.0.0.1:{PORTAL_PORT}/")

    page.goto("/dashboard")
    page.wait_for_url(re.compile(r"/sign-in\?next="))
