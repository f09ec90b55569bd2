"""Portal staff review the next-service patterns learned from requests: every figure in both languages, approve
or switch each off; nobody else sees them."""

from typing import Any

from tests.unit.gateway.workspace.conftest import Workspace


def create_pattern(after: str = "register-new-vehicle", then: str = "pay-traffic-fines", state: str = "proposed"
                   ) -> dict[str, Any]:
    return {"after": after, "then": then, "state": state, "decided_by": None, "decided_at": None,
            "trained_at": "2026-12-01T02:00:00+00:00",
            "figures": {"citizens": 120, "support": 0.0123, "confidence": 0.67, "lift": 3.456}}


async def test_portal_staff_see_each_patterns_figures_and_approve_it(workspace: Workspace) -> None:
    workspace.fakes.patterns = [create_pattern(), create_pattern(then="renew-licence", state="approved")]
    await workspace.sign_in("admin")
    english = (await workspace.client.get("/workspace/admin/insights", params={"lang": "en"})).text
    arabic = (await workspace.client.get("/workspace/admin/insights", params={"lang": "ar"})).text

    assert "Next-service patterns" in english and "fewer than 50 citizens is kept" in english
    assert "<td>120</td>" in english and ">1.23%<" in english and ">67%<" in english and ">3.46<" in english
    assert "Distinct citizens" in english and "Proposed" in english and "Approved" in english
    assert "أنماط الخدمات التالية" in arabic and "مواطنون مختلفون" in arabic and "مقترح" in arabic
    assert english.count('name="decision" value="approve"') == 1, "an approved pattern is not approved again"
    assert english.count('name="decision" value="switch_off"') == 2
    assert 'href="/workspace/admin/insights"' in english

    approved = await workspace.post("/workspace/admin/insights/decide", {
        "after": "register-new-vehicle", "then": "pay-traffic-fines", "decision": "approve"})
    assert approved.status_code == 303
    assert approved.headers["location"] == "/workspace/admin/insights#pattern-register-new-vehicle-pay-traffic-fines"
    [write] = workspace.fakes.writes()
    assert (write.upstream, write.path) == (
        "requests", "/api/v1/admin/insights/patterns/register-new-vehicle/pay-traffic-fines/approve")
    assert workspace.fakes.patterns[0]["state"] == "approved"


async def test_a_decision_names_a_pattern_and_a_known_decision_or_nothing_is_sent(workspace: Workspace) -> None:
    await workspace.sign_in("admin")
    odd = await workspace.post("/workspace/admin/insights/decide", {
        "after": "../admin", "then": "pay-traffic-fines", "decision": "approve"})
    unknown = await workspace.post("/workspace/admin/insights/decide", {
        "after": "register-new-vehicle", "then": "pay-traffic-fines", "decision": "delete"})

    assert (odd.status_code, unknown.status_code) == (422, 422)
    assert workspace.fakes.writes() == []


async def test_ministry_staff_neither_see_nor_decide_the_patterns(workspace: Workspace) -> None:
    workspace.fakes.patterns = [create_pattern()]
    await workspace.sign_in("manager")
    page = await workspace.client.get("/workspace/admin/insights")
    decided = await workspace.post("/workspace/admin/insights/decide", {
        "after": "register-new-vehicle", "then": "pay-traffic-fines", "decision": "switch_off"})

    assert (page.status_code, decided.status_code) == (403, 403)
    assert workspace.fakes.patterns[0]["state"] == "proposed"
