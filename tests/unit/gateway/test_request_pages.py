"""A request's page: when it should be done, what the ministry asks for and the answer form, rating it once;
and the application form's help texts."""

from typing import Any

from tests.unit.gateway.conftest import Portal, check, csrf_of

AISHA = "12345678"
NUMBER = f"ROP-2026-000001-{check('ROP', 1)}"


def create_request(status: str = "in_review", **extra: Any) -> dict[str, Any]:
    return {"tracking_number": NUMBER, "service": "renew-driving-licence", "ministry": "rop", "status": status,
            "owner": AISHA, "overdue": False, "submitted_at": "2026-11-20T10:00:00+00:00",
            "updated_at": "2026-11-21T10:00:00+00:00", "due_on": "2026-11-25T10:00:00+00:00",
            "expected_completion": "2026-11-24T10:00:00+00:00" if status not in ("completed", "rejected") else None,
            "fields": {"licence_number": "AB12345", "delivery": "post", "phone": "91234567"},
            "fields_to_correct": [], "action_note": None, "rating": None, "survey_open": False,
            "history": [{"status": "submitted", "previous_status": None, "actor": "citizen", "note": None,
                         "applied": True, "at": "2026-11-20T10:00:00+00:00"}]} | extra


async def test_an_open_request_shows_when_it_is_expected_to_be_done_on_its_page_and_in_the_list(
        portal: Portal) -> None:
    portal.fakes.requests = {NUMBER: create_request()}
    await portal.browser_sign_in(AISHA)
    page = (await portal.client.get(f"/requests/{NUMBER}", params={"lang": "en"})).text
    board = (await portal.client.get("/dashboard")).text

    assert "Expected completion" in page and '<time id="expected-completion"' in page
    assert "24 November 2026 (14 Jumada al-Akhirah 1448 AH)</time>" in page
    assert "Expected completion: <time" in board and "24 November 2026 (14 Jumada al-Akhirah 1448 AH)</time>" in board
    assert "/respond" not in page and "/rating" not in page


async def test_a_requests_dates_are_the_muscat_days_in_words_beside_their_hijri_dates_in_both_languages(
        portal: Portal) -> None:
    # 23:30 UTC on 17 November is already 18 November in Muscat; 21:00 UTC on 19 March 2026 is Eid al-Fitr there.
    portal.fakes.requests = {NUMBER: create_request(
        due_on="2026-11-17T23:30:00+00:00", expected_completion="2026-03-19T21:00:00+00:00",
        history=[{"status": "submitted", "previous_status": None, "actor": "citizen", "note": None, "applied": True,
                  "at": "2026-11-17T23:30:00+00:00"}])}
    await portal.browser_sign_in(AISHA)
    english = (await portal.client.get(f"/requests/{NUMBER}", params={"lang": "en"})).text
    arabic = (await portal.client.get(f"/requests/{NUMBER}", params={"lang": "ar"})).text

    assert '<time datetime="2026-11-17T23:30:00+00:00">18 November 2026 (8 Jumada al-Akhirah 1448 AH)</time>' in english
    assert ">20 March 2026 (1 Shawwal 1447 AH)</time>" in english
    assert "— <time datetime=\"2026-11-17T23:30:00+00:00\">18 November 2026, 3:30\u202fAM</time>" in english
    assert ">18 نوفمبر 2026 (8 جمادى الآخرة 1448 هـ)</time>" in arabic
    assert ">20 مارس 2026 (1 شوال 1447 هـ)</time>" in arabic
    assert ">18 نوفمبر 2026، 3:30 ص</time>" in arabic
    assert "2026-11-17</time>" not in english + arabic


async def test_action_required_shows_the_note_and_asks_only_for_the_fields_to_correct(portal: Portal) -> None:
    portal.fakes.requests = {NUMBER: create_request("action_required", fields_to_correct=["phone"],
                                                    action_note="The phone number does not answer.")}
    await portal.browser_sign_in(AISHA)
    page = (await portal.client.get(f"/requests/{NUMBER}", params={"lang": "en"})).text

    assert "The ministry&#39;s note" in page and "The phone number does not answer." in page
    assert '<ul class="bullets" id="fields-to-correct"><li>Phone number</li></ul>' in page
    assert f'action="/requests/{NUMBER}/respond"' in page
    assert 'name="phone"' in page and 'value="91234567"' in page  # pre-filled with the earlier answer
    assert 'name="licence_number"' not in page and 'name="delivery"' not in page

    token = csrf_of(page)
    empty = await portal.client.post(f"/requests/{NUMBER}/respond", data={"csrf_token": token, "phone": "1"})
    assert empty.status_code == 422
    assert 'href="#field-phone"' in empty.text and 'href="#field-note"' in empty.text
    answered = await portal.client.post(f"/requests/{NUMBER}/respond", data={
        "csrf_token": token, "phone": "92345678", "note": "Here is my new number"})
    assert (answered.status_code, answered.headers["location"]) == (303, f"/requests/{NUMBER}")
    assert portal.fakes.responses == [{"note": "Here is my new number", "fields": {"phone": "+96892345678"},
                                       "tracking_number": NUMBER}]


async def test_a_completed_request_invites_a_rating_which_is_given_once(portal: Portal) -> None:
    portal.fakes.requests = {NUMBER: create_request("completed", survey_open=True)}
    await portal.browser_sign_in(AISHA)
    page = (await portal.client.get(f"/requests/{NUMBER}", params={"lang": "en"})).text
    form = (await portal.client.get(f"/requests/{NUMBER}/rating")).text

    assert f'href="/requests/{NUMBER}/rating"' in page
    assert form.count('type="radio"') == 5 and "<legend>How satisfied are you with this service?</legend>" in form
    assert '<label for="field-score-5">5 — very satisfied</label>' in form
    assert 'name="csrf_token"' in form and 'name="comment"' in form

    token = csrf_of(form)
    forged = await portal.client.post(f"/requests/{NUMBER}/rating", data={"csrf_token": "x", "score": "5"})
    no_score = await portal.client.post(f"/requests/{NUMBER}/rating", data={"csrf_token": token, "score": "9"})
    rated = await portal.client.post(f"/requests/{NUMBER}/rating", data={"csrf_token": token, "score": "4",
                                                                         "comment": "Quick and clear"})
    thanks = await portal.client.get(rated.headers["location"])
    again = await portal.client.post(f"/requests/{NUMBER}/rating", data={"csrf_token": token, "score": "1"})

    assert forged.status_code == 403 and no_score.status_code == 422
    assert "Choose a rating from 1 to 5" in no_score.text
    assert (rated.status_code, rated.headers["location"]) == (303, f"/requests/{NUMBER}/rating/thanks")
    assert "Thank you for your rating" in thanks.text
    assert portal.fakes.requests[NUMBER]["rating"]["score"] == 4
    assert portal.fakes.requests[NUMBER]["rating"]["comment"] == "Quick and clear"
    assert "You have already rated this service." in again.text and 'type="radio"' not in again.text
    assert portal.fakes.requests[NUMBER]["rating"]["score"] == 4


async def test_an_open_request_cannot_be_rated_yet(portal: Portal) -> None:
    portal.fakes.requests = {NUMBER: create_request()}
    await portal.browser_sign_in(AISHA)
    page = await portal.client.get(f"/requests/{NUMBER}/rating", params={"lang": "en"})

    assert page.status_code == 200
    assert "You can rate the service once your request is complete." in page.text
    assert 'type="radio"' not in page.text


async def test_the_application_form_shows_each_fields_help_linked_to_it(portal: Portal) -> None:
    form = portal.fakes.services["renew-driving-licence"]["form"]
    form[0]["help"] = {"ar": "الرقم المطبوع على الرخصة", "en": "The number printed on your licence"}
    await portal.browser_sign_in(AISHA)
    page = (await portal.client.get("/services/renew-driving-licence/apply", params={"lang": "en"})).text

    assert '<p class="hint" id="field-licence_number-hint">The number printed on your licence</p>' in page
    assert 'aria-describedby="field-licence_number-hint"' in page
    assert 'id="field-phone-hint"' not in page
