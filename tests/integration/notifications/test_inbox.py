"""The notifications service in one process: events in over the in-memory bus, the inbox out over HTTP."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import aiosqlite
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from tenacity import wait_fixed

from services.notifications.domain import idempotency_key
from services.notifications.handlers import request_events
from services.notifications.store import notifications
from shared.auth import IdentitySigner
from shared.bus import Envelope, RawDelivery, ports
from shared.bus.ports import REASON_HEADER, Delivery
from shared.bus.topology import DEAD_LETTERS, NOTIFICATIONS_REQUESTS
from shared.contracts.requests import RequestStatusChanged
from shared.db.engine import writer_for
from tests.integration.notifications.support import (
    AISHA,
    AISHA_EMAIL,
    ROUTING_KEY,
    SALIM,
    SmtpServer,
    as_admin,
    as_citizen,
    create_status_change,
    envelope_of,
    eventually,
    fast_settings,
    inbox_of,
    publish,
    running,
    wait_for_total,
)

pytestmark = pytest.mark.integration


@pytest.fixture
async def app_and_client(database_url: str, public_key: str, smtp: SmtpServer
                         ) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    async with running(fast_settings(database_url, public_key, smtp.port)) as started:
        yield started


@pytest.fixture
def app(app_and_client: tuple[FastAPI, httpx.AsyncClient]) -> FastAPI:
    return app_and_client[0]


@pytest.fixture
def client(app_and_client: tuple[FastAPI, httpx.AsyncClient]) -> httpx.AsyncClient:
    return app_and_client[1]


async def test_a_status_change_appears_in_the_citizens_inbox_in_their_language(
        app: FastAPI, client: httpx.AsyncClient, signer: IdentitySigner) -> None:
    await publish(app, envelope_of(create_status_change(status="approved", lang="ar")))

    inbox = await wait_for_total(client, as_citizen(signer), 1)

    assert inbox["unread"] == 1
    assert inbox["total"] == 1
    assert inbox["page"] == 1
    [item] = inbox["items"]
    assert item["title"] == "تمت الموافقة على طلبك"
    assert "\u2066MOH-2025-000123-K\u2069" in item["body"]
    assert item["lang"] == "ar"
    assert item["kind"] == "request_status"
    assert item["channel"] == "inbox"
    assert item["link"] == "/requests/MOH-2025-000123-K"
    assert item["tracking_number"] == "MOH-2025-000123-K"
    assert item["read_at"] is None
    assert set(item) == {"id", "kind", "channel", "lang", "title", "body", "link", "tracking_number",
                         "created_at", "read_at", "deliveries"}
    [inbox_delivery] = item["deliveries"]
    assert inbox_delivery["channel"] == "inbox"
    assert inbox_delivery["status"] == "delivered"
    assert set(inbox_delivery) == {"channel", "status", "updated_at"}


async def test_an_event_delivered_twice_gives_one_notification(
        app: FastAPI, client: httpx.AsyncClient, signer: IdentitySigner) -> None:
    twice = envelope_of(create_status_change(tracking_number="MOH-2025-000001-A"))
    await publish(app, twice)
    await publish(app, twice)
    # The bus delivers in order, so once this one is in, both copies above have been handled.
    await publish(app, envelope_of(create_status_change(tracking_number="MOH-2025-000002-B")))

    inbox = await wait_for_total(client, as_citizen(signer), 2)
    # The copy must be acknowledged as already applied, not fail against the unique key until it is
    # dead-lettered; those retries take milliseconds, so a short quiet window shows they did not happen.
    await asyncio.sleep(0.3)

    assert await app.state.runtime.bus.drain(DEAD_LETTERS) == []
    assert inbox["total"] == 2
    assert sorted(i["tracking_number"] for i in inbox["items"]) == ["MOH-2025-000001-A", "MOH-2025-000002-B"]


async def test_a_citizen_never_sees_or_reads_another_citizens_notifications(
        app: FastAPI, client: httpx.AsyncClient, signer: IdentitySigner) -> None:
    await publish(app, envelope_of(create_status_change(citizen=AISHA)))
    aisha = await wait_for_total(client, as_citizen(signer, AISHA), 1)
    aishas_id = aisha["items"][0]["id"]

    salim = await inbox_of(client, as_citizen(signer, SALIM))
    marked = await client.post(f"/api/v1/me/notifications/{aishas_id}/read",
                               headers=as_citizen(signer, SALIM))
    unknown = await client.post(f"/api/v1/me/notifications/{uuid.uuid4()}/read",
                                headers=as_citizen(signer, AISHA))
    read_all = await client.post("/api/v1/me/notifications/read-all", headers=as_citizen(signer, SALIM))

    assert salim == {"unread": 0, "total": 0, "page": 1, "items": []}
    assert marked.status_code == 404
    assert marked.headers["content-type"] == "application/problem+json"
    assert marked.json()["code"] == "notification-not-found"
    assert unknown.status_code == 404
    assert read_all.json() == {"marked": 0}
    assert (await inbox_of(client, as_citizen(signer, AISHA)))["unread"] == 1


async def test_marking_as_read_lowers_the_unread_count(
        app: FastAPI, client: httpx.AsyncClient, signer: IdentitySigner) -> None:
    me = as_citizen(signer)
    for number, status in (("MOH-2025-000010-A", "received"), ("MOH-2025-000011-B", "in_review"),
                           ("MOH-2025-000012-C", "approved")):
        await publish(app, envelope_of(create_status_change(tracking_number=number, status=status)))
    inbox = await wait_for_total(client, me, 3)
    assert inbox["unread"] == 3
    assert [i["tracking_number"] for i in inbox["items"]] == [
        "MOH-2025-000012-C", "MOH-2025-000011-B", "MOH-2025-000010-A"]
    first = inbox["items"][0]["id"]

    marked = await client.post(f"/api/v1/me/notifications/{first}/read", headers=me)
    again = await client.post(f"/api/v1/me/notifications/{first}/read", headers=me)
    after_one = await inbox_of(client, me)
    unread_only = await inbox_of(client, me, unread_only="true")
    read_all = await client.post("/api/v1/me/notifications/read-all", headers=me)
    after_all = await inbox_of(client, me)

    assert marked.status_code == 200
    assert marked.json()["id"] == first
    assert marked.json()["read_at"] is not None
    assert again.json()["read_at"] == marked.json()["read_at"]
    assert after_one["unread"] == 2
    assert after_one["total"] == 3
    assert unread_only["total"] == 2
    assert first not in {i["id"] for i in unread_only["items"]}
    assert read_all.json() == {"marked": 2}
    assert after_all["unread"] == 0
    assert all(i["read_at"] for i in after_all["items"])


async def test_english_preferences_change_the_language_of_the_next_notification(
        app: FastAPI, client: httpx.AsyncClient, signer: IdentitySigner) -> None:
    me = as_citizen(signer, lang="ar")
    default = await client.get("/api/v1/me/preferences", headers=me)
    saved = await client.put("/api/v1/me/preferences", headers=me,
                             json={"lang": "en", "channels": ["inbox", "email"], "email": AISHA_EMAIL})
    read_back = await client.get("/api/v1/me/preferences", headers=me)

    await publish(app, envelope_of(create_status_change(status="action_required", lang="ar",
                                                        note="Please attach a passport photo")))
    inbox = await wait_for_total(client, me, 1)

    assert default.json() == {"lang": "ar", "channels": ["inbox"], "email": None, "phone": None,
                              "quiet_hours": None}
    assert saved.status_code == 200
    assert read_back.json() == {"lang": "en", "channels": ["inbox", "email"], "email": AISHA_EMAIL,
                                "phone": None, "quiet_hours": None}
    [item] = inbox["items"]
    assert item["lang"] == "en"
    assert item["title"] == "Action is required from you"
    assert "Please attach a passport photo" in item["body"]


async def test_preferences_keep_the_inbox_and_know_their_channels(
        client: httpx.AsyncClient, signer: IdentitySigner) -> None:
    me = as_citizen(signer)
    without_inbox = await client.put("/api/v1/me/preferences", headers=me,
                                     json={"lang": "en", "channels": ["sms"]})
    unknown = await client.put("/api/v1/me/preferences", headers=me,
                               json={"lang": "en", "channels": ["inbox", "fax"]})
    bad_lang = await client.put("/api/v1/me/preferences", headers=me,
                                json={"lang": "fr", "channels": ["inbox"]})
    saved_twice = [await client.put("/api/v1/me/preferences", headers=me,
                                    json={"lang": lang, "channels": ["inbox"]}) for lang in ("en", "ar")]
    stored = await client.get("/api/v1/me/preferences", headers=me)

    for refused in (without_inbox, unknown, bad_lang):
        assert refused.status_code == 422
        assert refused.headers["content-type"] == "application/problem+json"
    assert [r.status_code for r in saved_twice] == [200, 200]
    assert stored.json() == {"lang": "ar", "channels": ["inbox"], "email": None, "phone": None,
                             "quiet_hours": None}


async def test_a_request_without_an_identity_is_refused(client: httpx.AsyncClient) -> None:
    for method, path in (("GET", "/api/v1/me/notifications"), ("POST", "/api/v1/me/notifications/read-all"),
                         ("GET", "/api/v1/me/preferences")):
        response = await client.request(method, path)

        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "unauthenticated"


async def test_staff_cannot_read_a_citizens_inbox(client: httpx.AsyncClient, signer: IdentitySigner) -> None:
    staff = as_admin(signer)
    response = await client.get("/api/v1/me/notifications", headers=staff)

    assert response.status_code == 403


async def test_a_bad_event_goes_to_dead_letters_and_the_next_one_is_still_handled(
        app: FastAPI, client: httpx.AsyncClient, signer: IdentitySigner) -> None:
    bus = app.state.runtime.bus
    bad = create_status_change().model_dump(mode="json") | {"status": "teleported"}
    del bad["citizen"]
    await publish(app, Envelope(type=RequestStatusChanged.TYPE, source="/requests", data=bad))
    await publish(app, envelope_of(create_status_change(tracking_number="MOH-2025-000099-Z")))

    inbox = await wait_for_total(client, as_citizen(signer), 1)
    dead: list[RawDelivery] = []

    async def dead_letter() -> list[RawDelivery]:
        dead.extend(await bus.drain(DEAD_LETTERS))
        return dead

    await eventually(dead_letter)

    assert [i["tracking_number"] for i in inbox["items"]] == ["MOH-2025-000099-Z"]
    [letter] = dead
    reason = letter.headers[REASON_HEADER]
    assert reason.startswith(f"bad payload for {RequestStatusChanged.TYPE}")
    assert "citizen" in reason and "status" in reason
    assert AISHA not in reason


async def test_events_arriving_together_are_each_notified_once_and_a_bad_one_among_them_is_dead_lettered(
        app: FastAPI, client: httpx.AsyncClient, signer: IdentitySigner) -> None:
    bus = app.state.runtime.bus
    twice = envelope_of(create_status_change(tracking_number="MOH-2025-000011-A"))
    bad = create_status_change().model_dump(mode="json")
    del bad["citizen"]
    # Published without yielding to the consumer, so they wait in the queue and reach it as one batch.
    for envelope in (twice, twice, Envelope(type=RequestStatusChanged.TYPE, source="/requests", data=bad),
                     envelope_of(create_status_change(tracking_number="MOH-2025-000012-B")),
                     envelope_of(create_status_change(tracking_number="MOH-2025-000013-C"))):
        await publish(app, envelope)

    inbox = await wait_for_total(client, as_citizen(signer), 3)
    dead: list[RawDelivery] = []

    async def dead_letter() -> list[RawDelivery]:
        dead.extend(await bus.drain(DEAD_LETTERS))
        return dead

    await eventually(dead_letter)
    await asyncio.sleep(0.3)

    assert sorted(i["tracking_number"] for i in inbox["items"]) == \
        ["MOH-2025-000011-A", "MOH-2025-000012-B", "MOH-2025-000013-C"]
    assert [letter.headers[REASON_HEADER].split(":")[0] for letter in dead + await bus.drain(DEAD_LETTERS)] == \
        [f"bad payload for {RequestStatusChanged.TYPE}"]


@contextmanager
def inbox_writes(engine: AsyncEngine) -> Iterator[list[str]]:
    """The statements that record events as handled (the inbox table), as the database is sent them (on SQLite
    through the engine that writes in one hop too)."""
    seen: list[str] = []

    def kept(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if statement.startswith("INSERT INTO inbox "):
            seen.append(statement)

    engines = [engine.sync_engine, *filter(None, [writer_for(engine)])]
    for watched in engines:
        event.listen(watched, "before_cursor_execute", kept)
    try:
        yield seen
    finally:
        for watched in engines:
            event.remove(watched, "before_cursor_execute", kept)


async def test_events_arriving_together_cost_the_database_one_inbox_write_not_one_each(
        app: FastAPI, client: httpx.AsyncClient, signer: IdentitySigner) -> None:
    twice = envelope_of(create_status_change(tracking_number="MOH-2025-000020-A"))
    others = [envelope_of(create_status_change(tracking_number=f"MOH-2025-0000{n}-B")) for n in range(21, 28)]

    with inbox_writes(app.state.runtime.engine) as writes:
        # Published without yielding to the consumer, so they wait in the queue and reach it as one batch.
        for envelope in (twice, *others, twice):
            await publish(app, envelope)
        inbox = await wait_for_total(client, as_citizen(signer), 8)
        await asyncio.sleep(0.3)

    assert len(writes) == 1
    assert (await inbox_of(client, as_citizen(signer)))["total"] == inbox["total"] == 8
    assert await app.state.runtime.bus.drain(DEAD_LETTERS) == []


async def test_the_service_is_ready_once_started(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "bus": "ok"}


async def test_on_sqlite_events_are_queued_and_nothing_due_is_found_without_a_trip_through_aiosqlite(
        sqlite_url: str, public_key: str, smtp: SmtpServer, signer: IdentitySigner,
        monkeypatch: pytest.MonkeyPatch) -> None:
    hops: list[str] = []
    to_aiosqlite: Any = aiosqlite.Connection._execute
    this_test = asyncio.current_task()

    async def counted(connection: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        # The events' transactions (made in this test's task) and the dispatcher's polls.
        task = asyncio.current_task()
        if task is this_test or (task is not None and task.get_name().startswith("notifications-dispatch-")):
            hops.append(getattr(fn, "__name__", repr(fn)))
        return await to_aiosqlite(connection, fn, *args, **kwargs)

    async with running(fast_settings(sqlite_url, public_key, smtp.port)) as (app, client):
        batch = [Delivery(envelope_of(create_status_change(tracking_number=f"MOH-2025-0000{n}-C")), ROUTING_KEY,
                          NOTIFICATIONS_REQUESTS.name) for n in range(31, 35)]
        monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
        await request_events(app.state.deps)(batch[:1])
        await request_events(app.state.deps)(batch[1:])
        # The dispatcher polls every 50 ms here: a few times each channel, finding nothing due.
        await asyncio.sleep(0.3)
        monkeypatch.undo()

        # A transaction's statements, BEGIN and COMMIT, and each poll's query were trips to aiosqlite's thread.
        assert hops == []
        assert (await inbox_of(client, as_citizen(signer)))["total"] == 4


async def test_an_event_the_database_refuses_is_dead_lettered_and_the_rest_of_its_batch_is_still_notified(
        app: FastAPI, client: httpx.AsyncClient, signer: IdentitySigner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ports, "FIRST_RETRY_WAIT", 0.01)
    monkeypatch.setattr(ports, "LATER_RETRY_WAIT", wait_fixed(0.01))
    refused = envelope_of(create_status_change(tracking_number="MOH-2025-000041-D"))
    # Another citizen's notification already holds the key this event's would take: its insert fails.
    async with app.state.runtime.engine.begin() as connection:
        await connection.execute(notifications.insert().values(
            id=str(uuid.uuid4()), citizen=SALIM, kind="request_status", channel="inbox", lang="en", title="t",
            body="b", link="/", tracking_number="MOH-2025-000040-D", created_at=datetime.now(UTC),
            event_id=refused.id, idempotency_key=idempotency_key(refused.id, "inbox")))
    # Published without yielding to the consumer, so they wait in the queue and reach it as one batch.
    for envelope in (envelope_of(create_status_change(tracking_number="MOH-2025-000042-D")), refused,
                     envelope_of(create_status_change(tracking_number="MOH-2025-000043-D"))):
        await publish(app, envelope)

    inbox = await wait_for_total(client, as_citizen(signer), 2)
    [letter] = await eventually(lambda: app.state.runtime.bus.drain(DEAD_LETTERS))

    assert sorted(i["tracking_number"] for i in inbox["items"]) == ["MOH-2025-000042-D", "MOH-2025-000043-D"]
    assert Envelope.from_body(letter.body).id == refused.id
    assert letter.headers[REASON_HEADER] == "failed 5 times: IntegrityError"
