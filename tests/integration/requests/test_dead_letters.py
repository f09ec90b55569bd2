"""Staff see what the bus gave up on, with the reason, and replay or discard it."""

import pytest

from shared.bus import Envelope
from shared.bus.topology import EVENTS
from shared.contracts.catalog import ServicePublished, ServiceRetired
from tests.factories import create_admin, create_citizen
from tests.integration.bus.helpers import eventually
from tests.integration.requests.helpers import Harness, create_service_record

pytestmark = pytest.mark.integration


async def test_a_status_that_arrived_too_early_is_kept_and_applies_once_replayed(harness: Harness) -> None:
    tracking_number = (await harness.submit()).json()["tracking_number"]
    await harness.ministry_says(tracking_number, "in_review")
    [kept] = await harness.dead_letters(1)
    assert kept["queue"] == "requests.from.rop"
    assert kept["reason"].startswith("illegal-transition")
    assert kept["sender"] == "ministry-rop"
    assert kept["subject"] == tracking_number

    await harness.ministry_says(tracking_number, "received")
    await harness.wait_for_status(tracking_number, "received")
    replayed = await harness.client.post(f"/api/v1/admin/dead-letters/{kept['id']}/replay",
                                         headers=harness.as_(create_admin()))
    assert replayed.status_code == 200
    assert replayed.json()["status"] == "replayed"
    body = await harness.wait_for_status(tracking_number, "in_review")
    assert [h["status"] for h in body["history"] if h["applied"]] == ["submitted", "received", "in_review"]
    assert await harness.dead_letters(0) == []


async def test_a_replay_keeps_the_original_sender_so_a_spoofed_status_is_refused_again(harness: Harness) -> None:
    tracking_number = (await harness.submit()).json()["tracking_number"]
    await harness.ministry_says(tracking_number, "received", user_id="ministry-moh")
    [kept] = await harness.dead_letters(1)
    await harness.client.post(f"/api/v1/admin/dead-letters/{kept['id']}/replay", headers=harness.as_(create_admin()))

    [again] = await harness.dead_letters(1)
    assert again["id"] != kept["id"]
    assert again["sender"] == "ministry-moh"
    assert "not by the broker user of ministry 'rop'" in again["reason"]
    assert (await harness.status_of(tracking_number))["status"] == "submitted"


async def test_a_dead_letter_is_replayed_or_discarded_once(harness: Harness) -> None:
    await harness.ministry_says("ROP-2026-999999-0", "received")
    [kept] = await harness.dead_letters(1)
    staff = harness.as_(create_admin())
    discarded = await harness.client.post(f"/api/v1/admin/dead-letters/{kept['id']}/discard", headers=staff,
                                          json={"note": "typo in the ministry's system, fixed there"})
    assert discarded.json()["status"] == "discarded"
    assert discarded.json()["resolved_by"] == create_admin().subject

    again = await harness.client.post(f"/api/v1/admin/dead-letters/{kept['id']}/replay", headers=staff)
    assert again.status_code == 409
    assert again.json()["code"] == "dead-letter-resolved"
    history = await harness.client.get("/api/v1/admin/dead-letters", params={"status": "all"}, headers=staff)
    assert [item["status"] for item in history.json()["items"]] == ["discarded"]


async def test_staff_read_the_message_itself_and_count_pending_letters_per_queue(harness: Harness) -> None:
    await harness.ministry_says("ROP-2026-999999-0", "received")
    await harness.ministry_says("ROP-2026-999998-0", "received")
    kept = await harness.dead_letters(2)
    staff = harness.as_(create_admin())
    page = await harness.client.get("/api/v1/admin/dead-letters", params={"queue": "requests.from.rop"},
                                    headers=staff)
    assert page.json()["pending_per_queue"] == {"requests.from.rop": 2}
    await harness.app.state.watch.refresh()
    assert 'portal_dead_letters_pending{queue="requests.from.rop"} 2.0' in (await harness.client.get("/metrics")).text
    detail = await harness.client.get(f"/api/v1/admin/dead-letters/{kept[0]['id']}", headers=staff)
    assert detail.json()["message"]["data"]["tracking_number"] == "ROP-2026-999999-0"


async def test_a_whole_queue_of_dead_letters_is_replayed_in_one_go(harness: Harness) -> None:
    numbers = [(await harness.submit()).json()["tracking_number"] for _ in range(3)]
    for number in numbers:
        await harness.ministry_says(number, "in_review")
    await harness.dead_letters(3)
    for number in numbers:
        await harness.ministry_says(number, "received")
        await harness.wait_for_status(number, "received")
    replayed = await harness.client.post("/api/v1/admin/dead-letters/replay", json={"queue": "requests.from.rop"},
                                         headers=harness.as_(create_admin()))
    assert replayed.json() == {"replayed": 3}
    for number in numbers:
        await harness.wait_for_status(number, "in_review")


async def test_only_portal_staff_reach_the_dead_letters(harness: Harness) -> None:
    response = await harness.client.get("/api/v1/admin/dead-letters", headers=harness.as_(create_citizen()))
    assert response.status_code == 403
    missing = await harness.client.post("/api/v1/admin/dead-letters/no-such-letter/replay",
                                        headers=harness.as_(create_admin()))
    assert missing.status_code == 404


async def test_a_retirement_seen_before_the_service_keeps_a_late_publication_out(harness: Harness) -> None:
    record = create_service_record(slug="old-permit", version=1)
    retired = Envelope(type=ServiceRetired.TYPE, source="/catalog",
                       data=ServiceRetired(slug="old-permit", ministry="rop", version=2).model_dump(mode="json"))
    await harness.bus.publish(retired, EVENTS, "catalog.service.retired")

    async def tombstoned() -> bool:
        async with harness.app.state.deps.uow(read_only=True) as uow:
            return bool(await uow.catalogue.knows("old-permit"))

    await eventually(tombstoned)
    late = Envelope(type=ServicePublished.TYPE, source="/catalog",
                    data=ServicePublished(service=record).model_dump(mode="json"))
    await harness.bus.publish(late, EVENTS, "catalog.service.published")
    response = await harness.client.post("/api/v1/requests", headers=harness.as_(create_citizen()),
                                         json={"service": "old-permit", "fields": {"licence": "L-1234"}})
    assert response.status_code == 404
    assert response.json()["code"] == "service-not-found"
