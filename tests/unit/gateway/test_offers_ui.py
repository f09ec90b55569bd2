"""The dashboard's documents and offers as the citizen sees them: renew in one step, answer only what is missing,
dismiss, opt out; every section survives the others' outage."""

import re

from tests.unit.gateway.conftest import Portal, csrf_of
from tests.unit.gateway.test_dashboard import AISHA, create_document, create_offer


def section(html: str, section_id: str) -> str:
    match = re.search(rf'<section id="{section_id}".*?</section>', html, re.S)
    assert match is not None, f"no section {section_id}"
    return match.group(0)


async def test_the_dashboard_shows_documents_with_their_numbers_and_the_reason_of_each_offer(portal: Portal) -> None:
    portal.fakes.documents = [create_document() | {"offer": {"id": "offer-1", "status": "open",
                                                              "service": "renew-driving-licence"}},
                              create_document(number="P123", expires_on=None, document_type="passport")]
    portal.fakes.offers = {"offer-1": create_offer()}
    await portal.browser_sign_in(AISHA)
    english = (await portal.client.get("/dashboard", params={"lang": "en"})).text
    arabic = (await portal.client.get("/dashboard", params={"lang": "ar"})).text

    documents = section(english, "documents")
    assert '<span class="document-number" dir="ltr">1234567</span>' in documents
    assert "driving licence" in documents and "Does not expire" in documents
    assert "20 December 2026 (11 Rajab 1448 AH)" in documents
    assert '<a href="#offer-heading-offer-1">Renew now</a>' in documents
    offers = section(english, "offers")
    assert "Your driving licence 1234567 expires on 20 December 2026 (11 Rajab 1448 AH); renew it now" in offers
    assert 'action="/offers/offer-1/submit"' in offers and 'action="/offers/offer-1/dismiss"' in offers
    assert "Submit the renewal" in offers
    assert "<input id=" not in offers  # nothing is missing: one step
    assert "Licence number" in offers and "1234567" in offers  # what was filled in is shown
    assert 'action="/dashboard/proactive"' in offers and "Turn proactive offers off" in offers
    assert "تنتهي صلاحية رخصة القيادة رقم 1234567 بتاريخ 20 ديسمبر 2026 (11 رجب 1448 هـ)" in section(arabic, "offers")
    assert "رخصة القيادة" in section(arabic, "documents")


async def test_a_renewal_without_missing_fields_is_submitted_in_one_step_with_its_prefill(portal: Portal) -> None:
    portal.fakes.offers = {"offer-1": create_offer()}
    await portal.browser_sign_in(AISHA)
    page = await portal.client.get("/dashboard")
    sent = await portal.client.post("/offers/offer-1/submit", data={"csrf_token": csrf_of(page.text)})

    assert sent.status_code == 303
    number = portal.fakes.offers["offer-1"]["tracking_number"]
    assert sent.headers["location"] == f"/requests/{number}/confirmation"
    assert portal.fakes.submitted[-1]["fields"] == {"licence_number": "1234567", "delivery": "post",
                                                    "phone": "91234567"}
    again = await portal.client.post("/offers/offer-1/submit", data={"csrf_token": csrf_of(page.text)})
    assert (again.status_code, again.headers["location"]) == (303, f"/requests/{number}")
    assert len(portal.fakes.submitted) == 1


async def test_an_offer_with_missing_fields_asks_only_for_those_and_explains_a_mistake(portal: Portal) -> None:
    offer = create_offer(missing_fields=["phone"])
    del offer["prefill"]["phone"]
    portal.fakes.offers = {"offer-1": offer}
    await portal.browser_sign_in(AISHA)
    page = await portal.client.get("/dashboard", params={"lang": "en"})
    offers = section(page.text, "offers")

    assert 'name="phone"' in offers
    assert 'name="licence_number"' not in offers and 'name="delivery"' not in offers
    wrong = await portal.client.post("/offers/offer-1/submit", data={"csrf_token": csrf_of(page.text),
                                                                     "phone": "12"})
    assert wrong.status_code == 422
    assert 'id="error-summary"' in wrong.text and 'href="#field-phone"' in wrong.text
    assert portal.fakes.submitted == []
    right = await portal.client.post("/offers/offer-1/submit", data={"csrf_token": csrf_of(page.text),
                                                                     "phone": "91234567"})
    assert right.status_code == 303
    assert portal.fakes.submitted[-1]["fields"]["phone"] == "+96891234567"


async def test_dismissing_an_offer_and_opting_out_go_to_the_requests_service_and_back_to_the_offers(
        portal: Portal) -> None:
    portal.fakes.offers = {"offer-1": create_offer()}
    await portal.browser_sign_in(AISHA)
    page = await portal.client.get("/dashboard", params={"lang": "en"})
    token = csrf_of(page.text)

    dismissed = await portal.client.post("/offers/offer-1/dismiss", data={"csrf_token": token})
    opted_out = await portal.client.post("/dashboard/proactive", data={"csrf_token": token, "enabled": "false"})
    after = (await portal.client.get("/dashboard")).text
    forged = await portal.client.post("/dashboard/proactive", data={"csrf_token": "forged", "enabled": "true"})

    assert (dismissed.status_code, dismissed.headers["location"]) == (303, "/dashboard#offers")
    assert portal.fakes.offers["offer-1"]["status"] == "dismissed"
    assert (opted_out.status_code, portal.fakes.proactive[AISHA]) == (303, False)
    assert "There are no renewals or suggestions right now." in after and "Turn proactive offers on" in after
    assert forged.status_code == 403 and portal.fakes.proactive[AISHA] is False


async def test_someone_elses_offer_cannot_be_submitted_or_shown(portal: Portal) -> None:
    portal.fakes.offers = {"offer-9": create_offer(owner="99999999", offer_id="offer-9")}
    await portal.browser_sign_in(AISHA)
    page = await portal.client.get("/dashboard")
    sent = await portal.client.post("/offers/offer-9/submit", data={"csrf_token": csrf_of(page.text)})

    assert sent.status_code == 404
    assert portal.fakes.submitted == [] and portal.fakes.offers["offer-9"]["status"] == "open"


async def test_the_dashboard_page_keeps_working_when_offers_and_documents_cannot_be_read(portal: Portal) -> None:
    await portal.browser_sign_in(AISHA)
    portal.fakes.failing.add("requests")
    page = await portal.client.get("/dashboard", params={"lang": "en"})

    assert page.status_code == 200
    assert 'This service is not answering right now: <span lang="en" dir="ltr">requests</span>' in page.text
    assert '<section id="documents"' in page.text and '<section id="offers"' in page.text
    assert "There are no renewals" not in page.text  # unknown is not the same as none


async def test_renewal_and_survey_notifications_link_to_the_offers_and_the_rating_form(portal: Portal) -> None:
    portal.fakes.notifications[AISHA] = [
        {"id": "1", "kind": "renewal_due", "lang": "en", "title": "It is time to renew your document",
         "body": "Your driving licence 1234567 expires on 20 December 2026 (11 Rajab 1448 AH); renew it now.",
         "link": "/dashboard#offers",
         "tracking_number": "", "read_at": None, "created_at": "2026-11-23T10:00:00Z"},
        {"id": "2", "kind": "survey_invited", "lang": "en", "title": "How was your experience?", "body": "Rate it.",
         "link": "/requests/ROP-2026-000001-A/rating", "tracking_number": "ROP-2026-000001-A", "read_at": None,
         "created_at": "2026-11-23T09:00:00Z"}]
    await portal.browser_sign_in(AISHA)
    page = (await portal.client.get("/notifications", params={"lang": "en"})).text

    assert '<a href="/dashboard#offers">Renewals and suggestions for you</a>' in page
    assert '<a href="/requests/ROP-2026-000001-A/rating">Rate the service: <span dir="ltr">' in page
