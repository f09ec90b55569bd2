"""The dashboard: a citizen's requests (open first, overdue flagged), unread notifications, suggestions."""

from tests.unit.gateway.conftest import Portal


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
    assert (board["renewals_due"], board["renewals_due_tracked"]) == ([], False)
    assert [s["slug"] for s in board["suggested_services"]] == ["renew-passport"]  # from the "driving" life event
    assert board["unavailable"] == []


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
