"""Headless Chromium (Debian's package) against `portal up` on its own ports; axe-core from node_modules.

Missing Chromium, axe-core or RabbitMQ skips these tests on a laptop and fails them in CI (`CI` set):
`make test` installs Chromium (apt-get) and axe-core (`npm ci` here) first.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.conftest import IN_CI, SCRIPTED_LIMITS, drop_vhost, require_service

CHROMIUM = Path(os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium"))
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
BASE_PORT = int(os.environ.get("PORTAL_BROWSER_BASE_PORT", "18200"))
PROVIDER_PORT = BASE_PORT + 400
# The e2e tier's portals start beside this one (tests/e2e/conftest.py's EARLY): on a loaded two-core machine that
# takes minutes; PORTAL_E2E_READY_SECONDS overrides, as for them.
READY_SECONDS = float(os.environ.get("PORTAL_E2E_READY_SECONDS", "240"))
PROVIDER_ISSUER = f"http://127.0.0.1:{PROVIDER_PORT}"
PROVIDER_CITIZEN = {"sub": "71717171", "name": "Maryam Al-Hinai", "role": "admin"}
# Long enough to watch each step of the simulated ministry arrive on an open page, short enough for CI.
SIMULATOR_DELAY = "2.0"


def require_file(what: str, path: Path, remedy: str) -> None:
    if path.exists():
        return
    message = f"{what} is missing at {path} ({remedy})"
    if IN_CI:
        pytest.fail(f"{message}, and CI needs it")
    pytest.skip(message)


@dataclass(frozen=True)
class RunningPortal:
    url: str
    output: Path


@contextlib.contextmanager
def start_portal(run_dir: Path, base_port: int, settings: dict[str, str] | None = None) -> Iterator[RunningPortal]:
    """`portal up` in its own vhost, the simulated ministry moving requests every couple of seconds."""
    vhost = f"browser-{uuid.uuid4().hex[:8]}"
    env = os.environ | {"PORTAL_AMQP_URL": f"amqp://guest:guest@127.0.0.1:5672/{vhost}",
                        "PORTAL_BASE_PORT": str(base_port), "PORTAL_RUN_DIR": str(run_dir),
                        "PORTAL_SIMULATOR_DELAY": SIMULATOR_DELAY, "PORTAL_LOG_LEVEL": "warning"} | SCRIPTED_LIMITS | \
        (settings or {})
    output = run_dir / "portal.log"
    with output.open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "portal.cli", "up"], env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
        deadline = time.monotonic() + READY_SECONDS
        try:
            while b"The portal is ready" not in output.read_bytes():
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("portal up did not become ready:\n" + output.read_text()[-3000:])
                time.sleep(0.2)
            yield RunningPortal(f"http://127.0.0.1:{base_port}", output)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
            drop_vhost(vhost)


@contextlib.contextmanager
def identity_provider(run_dir: Path) -> Iterator[str]:
    """An OpenID Connect provider nobody here wrote (`oidc-provider-mock`), with one predefined citizen."""
    log = run_dir / "identity-provider.log"
    with log.open("wb") as output:
        process = subprocess.Popen([sys.executable, "-m", "oidc_provider_mock", "--port", str(PROVIDER_PORT),
                                    "--user-claims", json.dumps(PROVIDER_CITIZEN)],
                                   stdout=output, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(f"{PROVIDER_ISSUER}/.well-known/openid-configuration", timeout=2):
                        break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        pytest.fail("oidc-provider-mock did not start:\n" + log.read_text()[-2000:])
                    time.sleep(0.2)
            yield PROVIDER_ISSUER
        finally:
            process.terminate()
            process.wait(timeout=10)


# Package scope, not session: Playwright's sync API keeps an event loop running in this thread while it is
# open, which would break every async test collected after this package.
@pytest.fixture(scope="package")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPortal]:
    """One portal for every browser test: the development sign-in, and the identity provider's beside it."""
    require_file("Chromium", CHROMIUM, "apt-get install -y chromium")
    require_file("axe-core", AXE, "npm ci in tests/browser")
    require_service("RabbitMQ", "127.0.0.1", 5672)
    require_service("RabbitMQ management API", "127.0.0.1", 15672)
    run_dir = tmp_path_factory.mktemp("browser-run")
    with identity_provider(run_dir) as issuer:
        settings = {"GATEWAY_OIDC_ISSUER": issuer, "GATEWAY_OIDC_CLIENT_ID": "portal-web",
                    "GATEWAY_OIDC_CLIENT_SECRET": "portal-web-secret",
                    "GATEWAY_OIDC_REDIRECT_URL": f"http://127.0.0.1:{BASE_PORT}/sign-in/callback"}
        with start_portal(run_dir, BASE_PORT, settings) as running:
            yield running


@pytest.fixture(scope="package")
def browser(portal: RunningPortal) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield launched
        launched.close()


@pytest.fixture
def context(browser: Browser, portal: RunningPortal) -> Iterator[BrowserContext]:
    # bypass_csp: only so that axe-core can be injected; the pages themselves load nothing from elsewhere.
    opened = browser.new_context(base_url=portal.url, locale="ar-OM", bypass_csp=True)
    opened.set_default_timeout(10_000)
    yield opened
    opened.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.0/2.1 A and AA rules (and best practices) run on the page as it is now."""
    if not page.evaluate("() => Boolean(window.axe)"):
        page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        """async () => await window.axe.run(document, {runOnly: {type: 'tag',
              values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})""")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]} for v in result["violations"]]


def sign_in(page: Page, national_id: str, name: str, lang: str = "ar") -> None:
    page.goto(f"/sign-in?lang={lang}&next=/dashboard")
    page.fill("#field-national_id", national_id)
    page.fill("#field-name", name)
    page.locator("main button[type=submit]").click()
    page.wait_for_url("**/dashboard")


@pytest.fixture
def browser_without_js(browser: Browser, portal: RunningPortal) -> Iterator[Page]:
    opened = browser.new_context(base_url=portal.url, java_script_enabled=False)
    opened.set_default_timeout(10_000)
    yield opened.new_page()
    opened.close()
