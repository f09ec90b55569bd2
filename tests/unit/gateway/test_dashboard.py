"""The dashboard: a citizen's requests (open first, overdue flagged), unread notifications, issued documents,
renewal offers and life-event suggestions."""

from typing import Any

from tests.unit.gateway.conftest import Portal

AISHA = "12345678"


def request_row(number: str, owner: str, status: str, overdue: bool, updated: str) -> dict[str, object]:
    return {"tracking_number": number, "service": "renew-driving-licence", "ministry": "rop", "status": status,
            "owner": owner, "overdue": overdue, "submitted_at": updated, "updated_at": updated,
            "due_on": updated, "history": []}


async def test_open_requests_come_first_with_the_overdue_ones_on_top(portal: Portal) -> None:
    rows = [request_row("ROP-2026-000001-A", "12345678", "completed", False, "2026-11-20T00:00:00Z"),
            request_row("ROP-2026-000002-A", "12345678", "in_review", False, "2026-11-22T00:00:00Z"),
            request_row("ROP-2026-000003-A", "12345678", "received", True, "2026-11-01T00:00:00Z"),
            request_row("ROP-2026-000004-A", "99999999", "received", True, "2026-11-01T00:00:00Z")]
    portal.fakes.requests = {str(r["tracking_number"]): r for r in rows}
    portal.fakes.notifications["12345678"] = [{"id": "1", "title": "اكتمل طلبك", "read_at": None},
                                              {"id": "2", "title": "old", "read_at": "2026-11-01T00:00:00Z"}]
    board = (await portal.client.get("/api/v1/me/dashboard", headers=await portal.sign_in("12345678"))).json()
    assert [r["tracking_number"] for r in board["requests"]] == ["ROP-2026-000003-A", "ROP-2026-000002-A",
                                                                  "ROP-2026-000001-A"]
    assert (board["open_requests"], board["overdue_requests"]) == (2, 1)
    assert board["requests"][0]["service_title"] == "تجديد رخصة القيادة"
    assert board["notifications"]["unread"] == 1
    assert [n["title"] for n in board["notifications"]["items"]] == ["اكتمل طلبك"]
    assert (board["renewals_due"], board["renewals_due_tracked"], board["documents"]) == ([], True, [])
    assert [s["slug"] for s in board["suggested_services"]] == ["renew-passport"]  # from the "driving" life event
    assert board["unavailable"] == []


def create_learned(slug: str, because_of: str = "renew-driving-licence") -> dict[str, Any]:
    return {"service": slug, "ministry": "rop", "title": {"ar": f"خدمة {slug}", "en": f"Service {slug}"},
            "kind": "learned", "because_of": because_of, "because_of_title": {"ar": "تجديد", "en": "Renew"},
            "reason": {"ar": "٪42 ممن أنجزوا «تجديد» طلبوا هذه الخدمة", "en": "42% of people who completed “Renew”"},
            "figures": {"citizens": 120, "support": 0.01, "confidence": 0.42, "lift": 3.0}}


async def test_learned_suggestions_follow_the_life_event_rules_three_at_most_each_with_its_reason(
        portal: Portal) -> None:
    portal.fakes.requests = {"ROP-2026-000001-A": request_row("ROP-2026-000001-A", AISHA, "completed", False,
                                                              "2026-11-20T00:00:00Z")}
    portal.fakes.suggestions[AISHA] = [create_learned("renew-passport"), create_learned("pay-traffic-fines"),
                                       create_learned("register-new-vehicle"), create_learned("transfer-vehicle")]
    board = (await portal.client.get("/api/v1/me/dashboard", headers=await portal.sign_in(AISHA))).json()
    shown = board["suggested_services"]
    assert [s["slug"] for s in shown] == ["renew-passport", "pay-traffic-fines", "register-new-vehicle"]
    assert "kind" not in shown[0], "a service both the rules and the patterns suggest comes from the rules"
    assert shown[1]["kind"] == "learned" and shown[1]["reason"].startswith("٪42 ممن أنجزوا")


async def test_each_section_of_the_dashboard_survives_another_services_outage(portal: Portal) -> None:
    portal.fakes.requests = {"ROP-2026-000002-A": request_row("ROP-2026-000002-A", "12345678", "in_review", False,
                                                              "2026-11-22T00:00:00Z")}
    citizen = await portal.sign_in("12345678")
    portal.fakes.down.add("notifications")
    board = (await portal.client.get("/api/v1/me/dashboard", headers=citizen)).json()
    assert board["unavailable"] == ["notifications"]
    assert len(board["requests"]) == 1
    portal.fakes.down = {"requests"}
    board = (await portal.client.get("/api/v1/me/dashboard", headers=citizen)).json()
    assert board["unavailable"] == ["requests"] and board["requests"] == []
    portal.client.cookies.set("portal_session", citizen["Authorization"].removeprefix("Bearer "))
    page = await portal.client.get("/dashboard")
    assert page.status_code == 200
    assert 'الخدمة التالية لا تجيب الآن: <span lang="en" dir="ltr">requests</span>' in page.text


async def test_the_dashboard_is_for_signed_in_citizens_only(portal: Portal) -> None:
    assert (await portal.client.get("/api/v1/me/dashboard")).status_code == 401


def create_document(owner: str = AISHA, number: str = "1234567", expires_on: str | None = "2026-12-20",
                    document_type: str = "driving_licence") -> dict[str, Any]:
    return {"id": f"doc-{number}", "owner": owner, "ministry": "rop", "document_type": document_type,
            "number": number, "issued_on": "2016-12-20", "expires_on": expires_on, "tracking_number": None,
            "offer": None}


def create_offer(owner: str = AISHA, offer_id: str = "offer-1", missing_fields: list[str] | None = None,
                 kind: str = "renewal", status: str = "open") -> dict[str, Any]:
    reason: dict[str, Any] = {"code": "document_expiring", "document_type": "driving_licence",
                              "document_number": "1234567", "expires_on": "2026-12-20", "days_ahead": 30,
                              "life_event": None}
    if kind == "life_event":
        reason = {"code": "life_event", "document_type": "birth_certificate", "document_number": None,
                  "expires_on": None, "days_ahead": None, "life_event": "birth"}
    return {"id": offer_id, "owner": owner, "kind": kind, "service": "renew-driving-licence", "ministry": "rop",
            "status": status, "reason": reason,
            "prefill": {"licence_number": "1234567", "delivery": "post", "phone": "91234567"},
            "missing_fields": missing_fields or [], "tracking_number": None, "created_at": "2026-11-20T08:00:00Z"}


async def test_the_dashboard_lists_issued_documents_with_days_left_and_the_open_offers(portal: Portal) -> None:
    portal.fakes.documents = [create_document(), create_document(number="P123", expires_on=None,
                                                                 document_type="passport"),
                              create_document(owner="99999999", number="OTHER")]
    portal.fakes.offers = {"offer-1": create_offer(), "offer-2": create_offer(offer_id="offer-2", status="dismissed"),
                           "offer-3": create_offer(owner="99999999", offer_id="offer-3")}
    board = (await portal.client.get("/api/v1/me/dashboard", headers=await portal.sign_in(AISHA))).json()

    assert [d["number"] for d in board["documents"]] == ["1234567", "P123"]
    assert board["documents"][0]["days_left"] is not None and board["documents"][1]["days_left"] is None
    assert "owner" not in board["documents"][0]
    assert [o["id"] for o in board["renewals_due"]] == ["offer-1"]
    assert (board["renewals_due_tracked"], board["proactive"]) == (True, True)
    assert board["unavailable_sections"] == []


async def test_documents_and_offers_are_marked_unavailable_when_the_requests_service_is_down(portal: Portal) -> None:
    citizen = await portal.sign_in(AISHA)
    portal.fakes.down.add("requests")
    board = (await portal.client.get("/api/v1/me/dashboard", headers=citizen)).json()

    assert board["unavailable"] == ["requests"]
    assert board["unavailable_sections"] == ["documents", "offers", "requests"]
    assert (board["documents"], board["renewals_due"], board["proactive"]) == ([], [], None)
