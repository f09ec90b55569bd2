"""Suggested services as the citizen sees them: on the dashboard and once a request is completed, each with its
reason in their language and a button, named for the service, that sets it aside for good."""

from tests.unit.gateway.conftest import Portal, csrf_of
from tests.unit.gateway.test_dashboard import AISHA, create_learned, request_row
from tests.unit.gateway.test_offers_ui import section
from tests.unit.gateway.test_request_pages import NUMBER, create_request


async def test_a_dismissed_suggestion_leaves_the_dashboard_and_stays_away(portal: Portal) -> None:
    portal.fakes.requests = {NUMBER: create_request("completed")}
    portal.fakes.suggestions[AISHA] = [create_learned("pay-traffic-fines")]
    await portal.browser_sign_in(AISHA)
    english = await portal.client.get("/dashboard", params={"lang": "en"})
    arabic = section((await portal.client.get("/dashboard", params={"lang": "ar"})).text, "suggested")

    shown = section(english.text, "suggested")
    assert "renew-passport" in shown and "pay-traffic-fines" in shown  # the rule's, then the learned one
    assert "42% of people who completed “Renew”" in shown and "٪42 ممن أنجزوا «تجديد»" in arabic
    assert ('Not for me: dismiss<span class="visually-hidden">: Service pay-traffic-fines</span>' in shown)
    assert 'لا أحتاجها: أخفِ الاقتراح<span class="visually-hidden">: خدمة pay-traffic-fines</span>' in arabic
    for slug in ("pay-traffic-fines", "renew-passport"):
        dismissed = await portal.client.post(f"/suggestions/{slug}/dismiss",
                                             data={"csrf_token": csrf_of(english.text)})
        assert (dismissed.status_code, dismissed.headers["location"]) == (303, "/dashboard#suggested")
    later = section((await portal.client.get("/dashboard", params={"lang": "en"})).text, "suggested")
    assert "pay-traffic-fines" not in later and "renew-passport" not in later
    assert portal.fakes.dismissed[AISHA] == {"pay-traffic-fines", "renew-passport"}


async def test_a_suggestion_is_dismissed_only_with_the_pages_own_form_token(portal: Portal) -> None:
    portal.fakes.suggestions[AISHA] = [create_learned("pay-traffic-fines")]
    await portal.browser_sign_in(AISHA)
    forged = await portal.client.post("/suggestions/pay-traffic-fines/dismiss", data={"csrf_token": "forged"})

    assert forged.status_code == 403
    assert portal.fakes.dismissed.get(AISHA, set()) == set()


async def test_a_completed_request_shows_what_most_people_needed_next_and_dismissing_returns_to_it(
        portal: Portal) -> None:
    portal.fakes.requests = {NUMBER: create_request("completed")}
    portal.fakes.suggestions[AISHA] = [create_learned("pay-traffic-fines"), create_learned("register-new-vehicle")]
    await portal.browser_sign_in(AISHA)
    page = await portal.client.get(f"/requests/{NUMBER}", params={"lang": "en"})

    shown = section(page.text, "suggestions")
    assert "What most people need after this service" in shown
    assert shown.count("42% of people who completed “Renew”") == 2
    assert f'<input type="hidden" name="from" value="{NUMBER}">' in shown
    dismissed = await portal.client.post("/suggestions/register-new-vehicle/dismiss",
                                         data={"csrf_token": csrf_of(page.text), "from": NUMBER})
    assert (dismissed.status_code, dismissed.headers["location"]) == (303, f"/requests/{NUMBER}#suggestions")
    again = section((await portal.client.get(f"/requests/{NUMBER}")).text, "suggestions")
    assert "pay-traffic-fines" in again and "register-new-vehicle" not in again


async def test_an_open_request_suggests_nothing_yet(portal: Portal) -> None:
    portal.fakes.requests = {NUMBER: create_request("in_review")}
    portal.fakes.suggestions[AISHA] = [create_learned("pay-traffic-fines")]
    await portal.browser_sign_in(AISHA)
    page = (await portal.client.get(f"/requests/{NUMBER}", params={"lang": "en"})).text

    assert 'id="suggestions"' not in page and "pay-traffic-fines" not in page


async def test_a_dismissal_cannot_send_the_citizen_anywhere_but_their_dashboard_or_request(portal: Portal) -> None:
    portal.fakes.requests = {"ROP-2026-000001-A": request_row("ROP-2026-000001-A", AISHA, "completed", False,
                                                              "2026-11-20T00:00:00Z")}
    await portal.browser_sign_in(AISHA)
    page = await portal.client.get("/dashboard")
    dismissed = await portal.client.post("/suggestions/pay-traffic-fines/dismiss",
                                         data={"csrf_token": csrf_of(page.text), "from": "//evil.example/x"})

    assert (dismissed.status_code, dismissed.headers["location"]) == (303, "/dashboard#suggested")


async def test_a_citizen_opts_in_to_notices_of_suggested_services_from_the_dashboard_and_out_again(
        portal: Portal) -> None:
    await portal.browser_sign_in(AISHA)
    page = await portal.client.get("/dashboard", params={"lang": "en"})
    off = section(page.text, "suggested")
    assert "We do not send you notices of suggested services" in off and "Tell me about services I may need" in off

    opted = await portal.client.post("/dashboard/suggestion-notices",
                                     data={"csrf_token": csrf_of(page.text), "enabled": "true"})
    on = section((await portal.client.get("/dashboard", params={"lang": "ar"})).text, "suggested")
    assert (opted.status_code, opted.headers["location"]) == (303, "/dashboard#suggested")
    assert portal.fakes.suggestion_notices[AISHA] is True
    assert "نُشعرك مرة واحدة بكل خدمة" in on and "أوقف إشعارات الخدمات المقترحة" in on
    await portal.client.post("/dashboard/suggestion-notices", data={"csrf_token": csrf_of(page.text),
                                                                    "enabled": "false"})
    assert portal.fakes.suggestion_notices[AISHA] is False
