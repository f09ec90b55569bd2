"""The notifications service in one process: events in over the in-memory bus, the inbox out over HTTP."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from services.notifications.app import create_app
from services.notifications.config import Settings
from shared.auth import IdentitySigner
from shared.bus import Envelope, RawDelivery
from shared.bus.ports import REASON_HEADER
from shared.bus.topology import DEAD_LETTERS, EVENTS
from shared.contracts.requests import RequestStatusChanged
from tests.factories import create_admin, create_citizen

pytestmark = pytest.mark.integration

AISHA = "12345678"
SALIM = "87654321"
ROUTING_KEY = "requests.request.status_changed"


def create_status_change(citizen: str = AISHA, tracking_number: str = "MOH-2025-000123-K",
                         status: str = "approved", lang: str = "ar", note: str | None = None
                         ) -> RequestStatusChanged:
    return RequestStatusChanged.model_validate({
        "tracking_number": tracking_number, "service": "passport-renewal", "ministry": "moh",
        "citizen": citizen, "lang": lang, "status": status, "previous_status": "in_review", "note": note,
        "actor": "moh", "changed_at": datetime.now(UTC)})


def envelope_of(event: RequestStatusChanged) -> Envelope:
    return Envelope(type=RequestStatusChanged.TYPE, source="/requests", data=event.model_dump(mode="json"))


async def publish(app: FastAPI, envelope: Envelope) -> None:
    await app.state.runtime.bus.publish(envelope, EVENTS, ROUTING_KEY)


async def eventually(check: Callable[[], Awaitable[Any]], within: float = 5.0) -> Any:
    """Poll until check returns something truthy; fail after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"nothing arrived within {within} s")
        await asyncio.sleep(0.05)


@pytest.fixture
async def app(database_url: str, public_key: str) -> AsyncIterator[FastAPI]:
    settings = Settings(database_url=database_url, amqp_url=f"memory://notifications-test-{uuid.uuid4()}",
                        identity_public_key=public_key)
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30):
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield client


def as_citizen(signer: IdentitySigner, national_id: str = AISHA, lang: str = "ar") -> dict[str, str]:
    return {"x-portal-identity": signer.sign(create_citizen(national_id=national_id, lang=lang))}


async def inbox_of(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = await client.get("/api/v1/me/notifications", headers=headers, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def wait_for_total(client: httpx.AsyncClient, headers: dict[str, str], total: int) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        inbox = await inbox_of(client, headers)
        return inbox if inbox["total"] >= total else None

    found: dict[str, Any] = await eventually(check)
    return found


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
                         "created_at", "read_at"}


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
                             json={"lang": "en", "channels": ["inbox", "email"]})
    read_back = await client.get("/api/v1/me/preferences", headers=me)

    await publish(app, envelope_of(create_status_change(status="action_required", lang="ar",
                                                        note="Please attach a passport photo")))
    inbox = await wait_for_total(client, me, 1)

    assert default.json() == {"lang": "ar", "channels": ["inbox"]}
    assert saved.status_code == 200
    assert read_back.json() == {"lang": "en", "channels": ["inbox", "email"]}
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
    assert stored.json() == {"lang": "ar", "channels": ["inbox"]}


async def test_a_request_without_an_identity_is_refused(client: httpx.AsyncClient) -> None:
    for method, path in (("GET", "/api/v1/me/notifications"), ("POST", "/api/v1/me/notifications/read-all"),
                         ("GET", "/api/v1/me/preferences")):
        response = await client.request(method, path)

        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "unauthenticated"


async def test_staff_cannot_read_a_citizens_inbox(client: httpx.AsyncClient, signer: IdentitySigner) -> None:
    staff = {"x-portal-identity": signer.sign(create_admin())}
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


async def test_the_service_is_ready_once_started(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "bus": "ok"}
