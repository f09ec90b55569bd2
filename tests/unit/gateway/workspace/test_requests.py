"""An officer's road through the workspace: the queue, a request, each action sent upstream as the officer."""

import json
import re

from structlog.testing import capture_logs

from tests.unit.gateway.workspace.conftest import Workspace


async def test_the_queue_lists_the_ministrys_requests_due_first_with_counts(workspace: Workspace) -> None:
    first = workspace.fakes.add_request()
    second = workspace.fakes.add_request(status="in_review")
    workspace.fakes.add_request(ministry="rop")
    await workspace.sign_in("officer")
    page = await workspace.client.get("/workspace/", params={"lang": "en"})
    assert page.status_code == 200, page.text
    assert '<html lang="en" dir="ltr">' in page.text
    assert page.text.index(first) < page.text.index(second)
    assert "ROP-2026" not in page.text
    assert 'id="count-total">2<' in page.text and 'id="count-in_review">1<' in page.text
    assert "Issue a disability card" in page.text  # the service's title, not its slug
    queue_call = next(c for c in workspace.fakes.calls if c.path == "/api/v1/ministry/requests")
    assert queue_call.identity is not None and queue_call.identity.subject == "90000101"


async def test_a_count_at_the_limit_reads_as_at_least_that_many_and_the_pages_go_on_while_full(
        workspace: Workspace) -> None:
    for _ in range(1_001):
        workspace.fakes.add_request()
    workspace.fakes.add_request(status="in_review")
    await workspace.sign_in("officer")

    english = (await workspace.client.get("/workspace/", params={"lang": "en"})).text
    arabic = (await workspace.client.get("/workspace/", params={"lang": "ar"})).text
    last = (await workspace.client.get("/workspace/", params={"lang": "en", "page": "21"})).text

    for page in (english, arabic):
        assert 'id="count-total">1,000+<' in page and 'id="count-submitted">1,000+<' in page
        assert 'id="count-in_review">1<' in page and 'id="count-unassigned">1,000+<' in page
    assert "Requests (1,000+)" in english
    assert "<p>Page 1</p>" in english and 'rel="next"' in english
    assert "<p>الصفحة 1</p>" in arabic
    assert "<p>Page 21</p>" in last and 'rel="next"' not in last


async def test_the_queue_filters_are_passed_upstream(workspace: Workspace) -> None:
    await workspace.sign_in("officer")
    page = await workspace.client.get("/workspace/", params={"status": "in_review", "service": "issue-disability-card",
                                                             "overdue": "1", "assigned": "me", "page": "2"})
    assert page.status_code == 200
    call = next(c for c in workspace.fakes.calls if c.path == "/api/v1/ministry/requests")
    assert call.params == {"status": "in_review", "service": "issue-disability-card", "overdue": "true",
                           "assigned": "me", "page": "2"}


async def test_the_request_page_shows_fields_files_history_and_only_the_legal_actions(workspace: Workspace) -> None:
    number = workspace.fakes.add_request(status="in_review")
    await workspace.sign_in("officer")
    page = (await workspace.client.get(f"/workspace/requests/{number}", params={"lang": "en"})).text
    assert "Civil number" in page and "12345678" in page
    assert "File reference: <span dir=\"auto\">file-ref-7f3a</span>" in page
    assert 'data-status="in_review"' in page
    for offered in ("ask_info", "approve", "reject"):
        assert f'id="action-{offered}"' in page
    for not_offered in ("start_review", "complete"):
        assert f'id="action-{not_offered}"' not in page
    assert page.count('name="expected_status" value="in_review"') == 3


async def test_the_request_page_shows_times_on_muscats_clock_in_the_officers_language(workspace: Workspace) -> None:
    number = workspace.fakes.add_request(status="in_review")
    workspace.fakes.requests[number] |= {"submitted_at": "2026-11-17T23:30:00+00:00",
                                         "due_on": "2026-11-19T20:30:00+00:00"}
    await workspace.sign_in("officer")
    english = (await workspace.client.get(f"/workspace/requests/{number}", params={"lang": "en"})).text
    arabic = (await workspace.client.get(f"/workspace/requests/{number}", params={"lang": "ar"})).text

    # 23:30 UTC on 17 November is 03:30 on the 18th in Muscat; 20:30 UTC on the 19th is already the 20th there.
    assert '<time datetime="2026-11-17T23:30:00+00:00">18 November 2026, 3:30\u202fAM</time>' in english
    assert '<time datetime="2026-11-19T20:30:00+00:00">20 November 2026</time>' in english
    assert ">18 نوفمبر 2026، 3:30 ص</time>" in arabic and ">20 نوفمبر 2026</time>" in arabic
    queue = (await workspace.client.get("/workspace/", params={"lang": "ar"})).text
    assert ">20 نوفمبر 2026</time>" in queue


async def test_each_action_sends_the_officers_identity_and_the_status_the_page_showed(workspace: Workspace) -> None:
    number = workspace.fakes.add_request()
    await workspace.sign_in("officer")
    steps: list[tuple[dict[str, str] | list[tuple[str, str]], list[tuple[str, str]]]] = [
        ({"action": "start_review", "expected_status": "submitted"}, [("received", "submitted"),
                                                                      ("in_review", "received")]),
        ([("action", "ask_info"), ("expected_status", "in_review"), ("note", "Please attach a clearer report"),
          ("fields_to_correct", "medical_report")], [("action_required", "in_review")]),
        ({"action": "start_review", "expected_status": "action_required"}, [("in_review", "action_required")]),
        ({"action": "approve", "expected_status": "in_review"}, [("approved", "in_review")]),
        ({"action": "complete", "expected_status": "approved", "document_type": "disability_card",
          "document_number": "DC-2026-0042", "issued_on": "2026-11-23", "expires_on": "2031-11-22"},
         [("completed", "approved")]),
    ]
    for form, expected in steps:
        before = len(workspace.fakes.writes())
        response = await workspace.post(f"/workspace/requests/{number}/status", form)
        assert response.status_code == 303, response.text
        assert response.headers["location"].startswith(f"/workspace/requests/{number}?done=")
        sent = workspace.fakes.writes()[before:]
        assert [(c.body["status"], c.body["expected_status"]) for c in sent] == expected
        assert all(c.identity is not None and c.identity.role == "officer" and c.identity.subject == "90000101"
                   and c.identity.ministry == "mosd" and c.identity.name == "Salma Al-Harthy" for c in sent)
    asked = next(c for c in workspace.fakes.writes() if c.body["status"] == "action_required")
    assert asked.body["fields_to_correct"] == ["medical_report"]
    assert asked.body["note"] == "Please attach a clearer report"
    completed = workspace.fakes.writes()[-1]
    assert completed.body["document"] == {"document_type": "disability_card", "number": "DC-2026-0042",
                                          "issued_on": "2026-11-23", "expires_on": "2031-11-22"}
    page = (await workspace.client.get(f"/workspace/requests/{number}?done=complete&lang=en")).text
    assert "The request is completed." in page and "Salma Al-Harthy" in page


async def test_a_status_changed_by_someone_else_first_is_a_plain_message_and_nothing_is_applied_twice(
        workspace: Workspace) -> None:
    number = workspace.fakes.add_request(status="in_review")
    await workspace.sign_in("officer")
    form = {"action": "approve", "expected_status": "in_review"}
    assert (await workspace.post(f"/workspace/requests/{number}/status", form)).status_code == 303
    again = await workspace.post(f"/workspace/requests/{number}/status", form | {"lang": "en"})
    assert again.status_code == 409
    assert 'id="conflict" role="alert"' in again.text
    assert "Someone else acted on this request first" in again.text or "سبقك شخص آخر" in again.text
    assert 'data-status="approved"' in again.text  # the page shows the request as it is now
    applied = [h for h in workspace.fakes.requests[number]["history"] if h["status"] == "approved"]
    assert len(applied) == 1


async def test_rejecting_needs_a_reason_and_sends_nothing_without_one(workspace: Workspace) -> None:
    number = workspace.fakes.add_request(status="in_review")
    await workspace.sign_in("officer")
    response = await workspace.post(f"/workspace/requests/{number}/status?lang=en",
                                    {"action": "reject", "expected_status": "in_review", "note": ""})
    assert response.status_code == 422
    assert 'class="error-summary"' in response.text and "Write the reason for rejecting" in response.text
    assert 'id="field-reject-note-error"' in response.text
    assert workspace.fakes.writes() == []


async def test_an_action_the_status_does_not_allow_is_refused_by_the_requests_rule_and_changes_nothing(
        workspace: Workspace) -> None:
    number = workspace.fakes.add_request(status="submitted")
    await workspace.sign_in("officer")
    page = await workspace.client.get(f"/workspace/requests/{number}")
    assert 'value="approve"' not in page.text and 'value="start_review"' in page.text
    response = await workspace.post(f"/workspace/requests/{number}/status",
                                    {"action": "approve", "expected_status": "submitted"})
    assert response.status_code in (409, 422)
    assert workspace.fakes.requests[number]["status"] == "submitted"


async def test_a_document_with_an_expiry_before_its_issue_date_is_refused_before_sending(
        workspace: Workspace) -> None:
    number = workspace.fakes.add_request(status="approved")
    await workspace.sign_in("officer")
    response = await workspace.post(f"/workspace/requests/{number}/status?lang=en", {
        "action": "complete", "expected_status": "approved", "document_type": "Disability Card",
        "document_number": "", "issued_on": "2026-11-23", "expires_on": "2026-01-01"})
    assert response.status_code == 422
    for field in ("document_type", "document_number", "expires_on"):
        assert f'id="field-{field}-error"' in response.text
    assert workspace.fakes.writes() == []


async def test_assigning_to_me_sends_the_assignee_seen_and_a_race_is_a_plain_message(workspace: Workspace) -> None:
    number = workspace.fakes.add_request()
    await workspace.sign_in("officer")
    page = (await workspace.client.get(f"/workspace/requests/{number}")).text
    expected = re.search(r'name="expected_assignee" value="([^"]*)"', page)
    assert expected is not None and expected.group(1) == ""
    response = await workspace.post(f"/workspace/requests/{number}/assign",
                                    {"assignee": "me", "expected_assignee": ""})
    assert response.status_code == 303
    sent = workspace.fakes.writes()[-1]
    assert sent.body == {"assignee": "me", "expected_assignee": None} and sent.identity is not None
    assert sent.identity.subject == "90000101"
    await workspace.sign_in("officer2")
    late = await workspace.post(f"/workspace/requests/{number}/assign", {"assignee": "me", "expected_assignee": ""})
    assert late.status_code == 409 and 'id="conflict"' in late.text
    assert workspace.fakes.requests[number]["assignee"]["id"] == "90000101"


async def test_a_page_re_rendered_after_a_form_links_to_the_same_request_in_the_other_language(
        workspace: Workspace) -> None:
    number = workspace.fakes.add_request(status="in_review")
    await workspace.sign_in("officer")
    response = await workspace.post(f"/workspace/requests/{number}/status",
                                    {"action": "reject", "expected_status": "in_review"})
    assert response.status_code == 422
    assert f'<a class="lang-switch" href="/workspace/requests/{number}?lang=en"' in response.text


async def test_a_request_is_found_by_its_tracking_number_and_a_typo_is_explained(workspace: Workspace) -> None:
    number = workspace.fakes.add_request()
    await workspace.sign_in("officer")
    found = await workspace.client.get("/workspace/find", params={"number": number.lower()})
    assert found.status_code == 303 and found.headers["location"] == f"/workspace/requests/{number}"
    typo = await workspace.client.get("/workspace/find", params={"number": number[:-1] + "Z", "lang": "en"})
    assert typo.status_code == 422 and 'id="field-number-error"' in typo.text


async def test_portal_staff_read_a_ministrys_queue_they_name_without_any_action_to_take(
        workspace: Workspace) -> None:
    mosd = workspace.fakes.add_request()
    rop = workspace.fakes.add_request(ministry="rop")
    await workspace.sign_in("admin")
    chooser = await workspace.client.get("/workspace/?lang=en")
    assert 'name="ministry"' in chooser.text
    page = await workspace.client.get("/workspace/?ministry=mosd&lang=en")
    assert page.status_code == 200 and mosd in page.text and rop not in page.text
    call = next(c for c in workspace.fakes.calls if c.path == "/api/v1/ministry/requests")
    assert call.params["ministry"] == "mosd"


async def test_the_workspace_logs_what_was_done_but_nobodys_civil_number_name_or_phone(
        workspace: Workspace) -> None:
    number = workspace.fakes.add_request()
    await workspace.sign_in("officer")
    with capture_logs() as logs:
        await workspace.client.get(f"/workspace/requests/{number}")
        await workspace.post(f"/workspace/requests/{number}/assign", {"expected_assignee": ""})
        for form in ({"action": "start_review", "expected_status": "submitted"},
                     {"action": "approve", "expected_status": "in_review"}):
            await workspace.post(f"/workspace/requests/{number}/status", form)
    assert {entry["event"] for entry in logs} >= {"workspace_request_assigned", "workspace_status_changed"}
    written = json.dumps(logs, default=str)
    for personal in ("12345678", "90000101", "Salma", "91234567"):
        assert personal not in written


async def test_the_ministry_sees_a_duplicate_event_it_sent_marked_as_not_applied(workspace: Workspace) -> None:
    number = workspace.fakes.add_request(status="received")
    workspace.fakes.requests[number]["history"] += [
        {"status": "received", "previous_status": "submitted", "actor": "ministry:mosd", "actor_name": None,
         "note": None, "at": "2026-11-20T09:00:00+00:00", "applied": True},
        {"status": "received", "previous_status": "received", "actor": "ministry:mosd", "actor_name": None,
         "note": None, "at": "2026-11-20T09:01:00+00:00", "applied": False}]
    await workspace.sign_in("officer")

    page = (await workspace.client.get(f"/workspace/requests/{number}", params={"lang": "en"})).text

    assert page.count('class="not-applied"') == 1
    assert "Not applied (a duplicate or late event)" in page


async def test_stalled_requests_are_counted_filtered_and_badged_in_the_queue_and_on_the_request(
        workspace: Workspace) -> None:
    stalled = workspace.fakes.add_request(status="received")
    workspace.fakes.requests[stalled] |= {"stalled": True, "stalled_since": "2026-11-25T08:00:00+00:00"}
    moving = workspace.fakes.add_request(status="in_review")
    await workspace.sign_in("officer")

    queue = (await workspace.client.get("/workspace/", params={"lang": "en"})).text
    only = (await workspace.client.get("/workspace/", params={"lang": "en", "stalled": "1"})).text
    page = (await workspace.client.get(f"/workspace/requests/{stalled}", params={"lang": "en"})).text

    assert '<strong id="count-stalled">1</strong>' in queue
    assert f'id="stalled-{stalled}"' in queue and f'id="stalled-{moving}"' not in queue
    assert stalled in only and moving not in only
    assert 'id="filter-stalled" name="stalled" value="1" checked' in only
    assert 'id="stalled-badge"' in page and "Stalled since" in page
