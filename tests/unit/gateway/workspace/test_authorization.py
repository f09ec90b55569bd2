"""Who may open and use each workspace route, checked on every route the app has (a new one cannot escape)."""

import pytest
from fastapi.routing import iter_route_contexts

from tests.unit.gateway.workspace.conftest import Workspace

OFFICER, MANAGER, ADMIN = "officer", "manager", "admin"
READERS = {OFFICER, MANAGER, ADMIN}
PUBLIC = {"anyone"}
ACCESS: dict[tuple[str, str], set[str]] = {
    ("GET", "/workspace/sign-in"): PUBLIC,
    ("POST", "/workspace/sign-in"): PUBLIC,
    ("GET", "/workspace/sign-in/idp"): PUBLIC,
    ("GET", "/workspace/sign-in/callback"): PUBLIC,
    ("POST", "/workspace/sign-out"): PUBLIC,
    ("GET", "/workspace/"): READERS,
    # Any staff member may look a number up; the request page it leads to is checked like any other.
    ("GET", "/workspace/find"): READERS | {"other_officer", "other_manager"},
    ("GET", "/workspace/requests/{tracking_number}"): READERS,
    ("POST", "/workspace/requests/{tracking_number}/assign"): {OFFICER},
    ("POST", "/workspace/requests/{tracking_number}/status"): {OFFICER},
    ("GET", "/workspace/services"): {MANAGER, ADMIN},
    ("GET", "/workspace/services/{slug}"): {MANAGER, ADMIN},
    ("POST", "/workspace/services/{slug}"): {MANAGER},
    ("GET", "/workspace/services/{slug}/readiness"): {MANAGER, ADMIN},
    ("POST", "/workspace/services/{slug}/readiness"): {MANAGER},
    ("GET", "/workspace/workload"): READERS,
    ("GET", "/workspace/workload.csv"): READERS,
    ("GET", "/workspace/forecast.csv"): READERS,
    ("GET", "/workspace/admin/onboarding"): {ADMIN},
    ("GET", "/workspace/admin/readiness"): {ADMIN},
    ("GET", "/workspace/admin/insights"): {ADMIN},
    ("POST", "/workspace/admin/insights/decide"): {ADMIN},
}
PERSONAS = ("citizen", "officer", "manager", "admin", "other_officer", "other_manager")
SLUG = "issue-disability-card"


def workspace_routes(workspace: Workspace) -> set[tuple[str, str]]:
    found = set()
    for context in iter_route_contexts(workspace.app.routes):
        path = context.path or ""
        if path == "/workspace" or path.startswith("/workspace/"):
            for method in context.methods or ():
                if method != "HEAD":
                    found.add((method, path))
    return found


def concrete(path: str, number: str) -> str:
    filled = path.replace("{tracking_number}", number).replace("{slug}", SLUG)
    return f"{filled}?ministry=mosd"  # the mosd pages, asked for by name (portal staff choose a ministry)


async def test_every_workspace_route_has_an_access_rule_in_this_test(workspace: Workspace) -> None:
    assert workspace_routes(workspace) == set(ACCESS)


@pytest.mark.parametrize("persona", PERSONAS)
async def test_each_role_reaches_exactly_its_routes_and_nobody_reaches_another_ministrys(
        workspace: Workspace, persona: str) -> None:
    number = workspace.fakes.add_request(status="in_review")
    await workspace.sign_in(persona)
    for (method, path), allowed in sorted(ACCESS.items()):
        if allowed == PUBLIC:
            continue
        url = concrete(path, number)
        writes_before = len(workspace.fakes.writes())
        calls_before = len(workspace.fakes.calls)
        response = await (workspace.client.get(url) if method == "GET" else workspace.post(url, {}))
        if persona in allowed:
            assert response.status_code != 403, (persona, method, path, response.text[:500])
            if method == "GET":
                assert response.status_code == 200, (persona, method, path, response.text[:500])
            continue
        assert response.status_code == 403, (persona, method, path, response.status_code)
        assert "text/html" in response.headers["content-type"]
        assert len(workspace.fakes.writes()) == writes_before, (persona, method, path)
        touched = [c.path for c in workspace.fakes.calls[calls_before:] if number in c.path or SLUG in c.path]
        assert touched == [], (persona, method, path, touched)  # refused before asking upstream


@pytest.mark.parametrize("path", sorted({p for (m, p), allowed in ACCESS.items() if allowed != PUBLIC}))
async def test_a_citizens_bearer_token_gets_403_on_every_workspace_route(workspace: Workspace, path: str) -> None:
    number = workspace.fakes.add_request()
    headers = {"Authorization": f"Bearer {await workspace.token('citizen')}"}
    for method in sorted(m for (m, p) in ACCESS if p == path):
        response = await workspace.client.request(method, concrete(path, number), headers=headers)
        assert response.status_code == 403, (method, path)
    assert workspace.fakes.calls == []


async def test_without_a_sign_in_every_workspace_page_leads_to_the_staff_sign_in(workspace: Workspace) -> None:
    number = workspace.fakes.add_request()
    for (method, path), allowed in ACCESS.items():
        if allowed == PUBLIC:
            continue
        response = await (workspace.client.get(concrete(path, number)) if method == "GET"
                          else workspace.post(concrete(path, number), {}))
        assert response.status_code == 303, (method, path)
        assert response.headers["location"].startswith("/workspace/sign-in?next=%2Fworkspace")
    assert workspace.fakes.calls == []


async def test_an_officer_of_another_ministry_cannot_move_a_request_even_with_a_forged_form(
        workspace: Workspace) -> None:
    number = workspace.fakes.add_request(status="in_review")
    await workspace.sign_in("other_officer")
    response = await workspace.post(f"/workspace/requests/{number}/status?lang=en",
                                    {"action": "approve", "expected_status": "in_review"})
    assert response.status_code == 403 and "You do not have access to this page." in response.text
    assert workspace.fakes.calls == []
    assert workspace.fakes.requests[number]["status"] == "in_review"


async def test_a_service_manager_sees_requests_but_is_offered_no_action(workspace: Workspace) -> None:
    number = workspace.fakes.add_request(status="in_review")
    await workspace.sign_in("manager")
    page = await workspace.client.get(f"/workspace/requests/{number}")
    assert page.status_code == 200 and 'action="/workspace/requests/' not in page.text


async def test_portal_staff_read_every_ministry_but_are_offered_no_change(workspace: Workspace) -> None:
    number = workspace.fakes.add_request(status="in_review")
    await workspace.sign_in("admin")
    page = await workspace.client.get(f"/workspace/requests/{number}")
    assert page.status_code == 200 and 'action="/workspace/requests/' not in page.text
    designer = await workspace.client.get(f"/workspace/services/{SLUG}")
    assert designer.status_code == 200 and 'id="publish"' not in designer.text and "<fieldset disabled" in designer.text
    queue = await workspace.client.get("/workspace/")
    assert queue.status_code == 200 and 'name="ministry"' in queue.text  # they choose which ministry to read


async def test_an_upstream_refusal_is_a_second_line_shown_as_403(workspace: Workspace) -> None:
    number = workspace.fakes.add_request(status="in_review")
    workspace.fakes.requests[number]["ministry"] = "rop"  # the requests service knows better than the number
    await workspace.sign_in("officer")
    response = await workspace.client.get(f"/workspace/requests/{number}")
    assert response.status_code in (403, 404)
    assert workspace.fakes.writes() == []
