"""A request that waits longer than its expected step time is flagged to its ministry once (queue filter, badge,
an event in its inbox), counted for staff and in the metrics, and cleared by its next status change."""

import json

from prometheus_client import REGISTRY

from services.requests.watch import OperationsWatch
from shared.bus import Envelope
from shared.contracts.requests import RequestStalled
from tests.factories import create_admin, create_ministry_identity
from tests.integration.bus.helpers import eventually
from tests.integration.requests.helpers import Harness, at, move, on, submit


async def watch(harness: Harness) -> None:
    """One pass of the operations watch on the harness's clock."""
    await OperationsWatch(harness.app.state.deps).refresh()


def stalled_events(harness: Harness) -> list[Envelope]:
    queue = harness.bus.queues["ministry.rop.inbox"].messages
    found = [Envelope.from_body(m.body) for m in list(queue._queue)]  # type: ignore[attr-defined]
    return [e for e in found if e.type == RequestStalled.TYPE]


async def ministry_queue(harness: Harness, **params: str) -> dict[str, object]:
    response = await harness.client.get("/api/v1/ministry/requests", params=params,
                                        headers=harness.as_(create_ministry_identity("rop")))
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def test_a_request_waiting_past_its_expected_step_is_flagged_once_and_cleared_by_its_next_change(
        harness: Harness) -> None:
    stuck = await submit(harness, on("2026-03-02"))
    moving = await submit(harness, on("2026-03-02"))
    await move(harness, stuck, ("received", on("2026-03-02", 9)))
    await move(harness, moving, ("received", on("2026-03-02", 9)), ("in_review", on("2026-03-05", 9)))

    at(harness, on("2026-03-05", 10))
    await watch(harness)
    await watch(harness)

    flagged = await ministry_queue(harness, stalled="true")
    assert [item["tracking_number"] for item in flagged["items"]] == [stuck]  # type: ignore[index]
    assert flagged["counts"]["stalled"] == 1  # type: ignore[index]
    assert flagged["items"][0]["stalled"] is True  # type: ignore[index]

    async def told_once() -> bool:
        return len(stalled_events(harness)) >= 1

    await eventually(told_once)
    [event] = stalled_events(harness)
    assert (event.subject, event.data["status"], event.data["ministry"]) == (stuck, "received", "rop")
    assert event.data["expected_step_seconds"] == 86400

    citizen_view = await harness.status_of(stuck)
    assert citizen_view["stalled"] is False and citizen_view["stalled_since"] is None
    staff = await harness.client.get("/api/v1/admin/requests/stalled", headers=harness.as_(create_admin()))
    assert staff.json() == {"total": 1, "services": [{"ministry": "rop", "service": "renew-licence", "stalled": 1}]}
    assert REGISTRY.get_sample_value("portal_requests_stalled", {"ministry": "rop"}) == 1

    await move(harness, stuck, ("in_review", on("2026-03-05", 11)))
    await watch(harness)
    assert (await ministry_queue(harness))["counts"]["stalled"] == 0  # type: ignore[index]
    assert REGISTRY.get_sample_value("portal_requests_stalled", {"ministry": "rop"}) is None
    assert json.dumps(stalled_events(harness)[0].data)


async def test_a_weekend_or_a_request_waiting_for_the_citizen_never_stalls(harness: Harness) -> None:
    thursday = await submit(harness, on("2026-03-05"))
    asked = await submit(harness, on("2026-03-02"))
    await move(harness, thursday, ("received", on("2026-03-05", 13)))
    await move(harness, asked, ("received", on("2026-03-02", 9)), ("in_review", on("2026-03-02", 10)),
               ("action_required", on("2026-03-02", 11)))

    at(harness, on("2026-03-08", 9))  # Sunday morning: Friday and Saturday are Oman's weekend
    await watch(harness)

    assert (await ministry_queue(harness))["counts"]["stalled"] == 0  # type: ignore[index]
