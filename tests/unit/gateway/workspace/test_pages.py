"""Workspace pages: Arabic first with English, the staff sign-in, workload and portal staff's views."""

import re

import pytest

from tests.unit.gateway.conftest import csrf_of
from tests.unit.gateway.workspace.conftest import Workspace

PAGES = {"officer": ["/workspace/", "/workspace/requests/{number}", "/workspace/workload"],
         "manager": ["/workspace/services", "/workspace/services/issue-disability-card",
                     "/workspace/services/issue-disability-card/readiness"],
         "admin": ["/workspace/admin/onboarding", "/workspace/admin/readiness", "/workspace/admin/insights",
                   "/workspace/?ministry=mosd"]}


@pytest.mark.parametrize("who", sorted(PAGES))
async def test_every_page_is_arabic_right_to_left_with_the_same_page_in_english(workspace: Workspace,
                                                                                who: str) -> None:
    number = workspace.fakes.add_request(status="in_review")
    await workspace.sign_in(who)
    for path in PAGES[who]:
        url = path.format(number=number)
        arabic = await workspace.client.get(f"{url}{'&' if '?' in url else '?'}lang=ar")
        assert arabic.status_code == 200, (path, arabic.text[:300])
        assert '<html lang="ar" dir="rtl">' in arabic.text and "مساحة عمل الجهة" in arabic.text
        switch = re.search(r'<a class="lang-switch" href="([^"]+)"', arabic.text)
        assert switch is not None
        english = await workspace.client.get(switch.group(1).replace("&amp;", "&"))
        assert '<html lang="en" dir="ltr">' in english.text and "Ministry workspace" in english.text
        assert english.url.path == arabic.url.path


async def test_the_development_sign_in_offers_the_seeded_staff_and_signs_in_with_a_workspace_cookie(
        workspace: Workspace) -> None:
    page = await workspace.client.get("/workspace/sign-in?lang=en")
    for name in ("Salma Al-Harthy", "Khalid Al-Balushi", "Aisha Al-Rawahi", "Portal Staff"):
        assert name in page.text
    response = await workspace.client.post("/workspace/sign-in", data={
        "csrf_token": csrf_of(page.text), "staff": "0", "next": "https://evil.example/"})
    assert response.status_code == 303 and response.headers["location"] == "/workspace/"
    cookie = response.headers["set-cookie"].lower()
    assert "portal_staff=" in cookie and "httponly" in cookie and "path=/workspace" in cookie
    queue = await workspace.client.get("/workspace/?lang=en")
    assert queue.status_code == 200 and "Salma Al-Harthy" in queue.text and "Officer" in queue.text


async def test_the_free_sign_in_form_needs_a_ministry_for_ministry_staff(workspace: Workspace) -> None:
    page = await workspace.client.get("/workspace/sign-in")
    response = await workspace.client.post("/workspace/sign-in", data={
        "csrf_token": csrf_of(page.text), "national_id": "90000300", "name": "Huda", "role": "officer",
        "ministry": ""})
    assert response.status_code == 422 and 'id="field-ministry-error"' in response.text
    ok = await workspace.client.post("/workspace/sign-in", data={
        "csrf_token": csrf_of(page.text), "national_id": "90000300", "name": "Huda", "role": "service_manager",
        "ministry": "mosd", "next": "/workspace/services"})
    assert ok.status_code == 303 and ok.headers["location"] == "/workspace/services"
    assert (await workspace.client.get("/workspace/services")).status_code == 200


async def test_signing_out_ends_the_workspace_session(workspace: Workspace) -> None:
    page = await workspace.client.get("/workspace/sign-in")
    await workspace.client.post("/workspace/sign-in", data={"csrf_token": csrf_of(page.text), "staff": "0"})
    out = await workspace.post("/workspace/sign-out", {})
    assert out.status_code == 303 and "portal_staff=" in out.headers["set-cookie"]
    assert (await workspace.client.get("/workspace/")).status_code == 303


async def test_the_workload_page_shows_services_and_officers_with_a_csv_download(workspace: Workspace) -> None:
    await workspace.sign_in("officer")
    page = await workspace.client.get("/workspace/workload", params={"from": "2026-11-01", "to": "2026-11-30",
                                                                     "lang": "en"})
    assert page.status_code == 200 and "Salma Al-Harthy" in page.text and "20.5" in page.text
    call = next(c for c in workspace.fakes.calls if c.path == "/api/v1/ministry/workload")
    assert call.params == {"from": "2026-11-01", "to": "2026-11-30"}
    assert 'href="/workspace/workload.csv?from=2026-11-01&amp;to=2026-11-30"' in page.text
    csv = await workspace.client.get("/workspace/workload.csv", params={"from": "2026-11-01"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"] and csv.text.startswith("kind,service,open")
    assert workspace.fakes.calls[-1].params == {"from": "2026-11-01", "format": "csv"}


async def test_portal_staff_see_onboarding_progress_and_the_priority_ranking(workspace: Workspace) -> None:
    await workspace.sign_in("admin")
    onboarding = await workspace.client.get("/workspace/admin/onboarding?lang=en")
    assert "Ministry of Social Development" in onboarding.text and 'href="/workspace/?ministry=mosd"' in onboarding.text
    ranking = await workspace.client.get("/workspace/admin/readiness?lang=en")
    assert "Issue a disability card" in ranking.text and "61.5" in ranking.text


async def test_a_bad_period_is_a_clear_error_not_a_crash(workspace: Workspace) -> None:
    await workspace.sign_in("officer")
    response = await workspace.client.get("/workspace/workload", params={"from": "yesterday"})
    assert response.status_code == 422
