"""A citizen's contact details and quiet hours: checked, kept, shown back only to them, never echoed in errors."""

from collections.abc import AsyncIterator

import httpx
import pytest

from shared.auth import IdentitySigner
from tests.integration.notifications.support import (
    AISHA_EMAIL,
    SALIM,
    SmtpServer,
    as_citizen,
    create_preferences,
    fast_settings,
    running,
)

pytestmark = pytest.mark.integration


@pytest.fixture
async def client(database_url: str, public_key: str, smtp: SmtpServer) -> AsyncIterator[httpx.AsyncClient]:
    async with running(fast_settings(database_url, public_key, smtp.port)) as (_, client):
        yield client


@pytest.fixture
async def sqlite_client(sqlite_url: str, public_key: str, smtp: SmtpServer) -> AsyncIterator[httpx.AsyncClient]:
    """For what is refused before any storage is touched."""
    async with running(fast_settings(sqlite_url, public_key, smtp.port)) as (_, client):
        yield client


async def test_contact_details_and_quiet_hours_are_kept_in_a_standard_form(
        client: httpx.AsyncClient, signer: IdentitySigner) -> None:
    me = as_citizen(signer)
    saved = await client.put("/api/v1/me/preferences", headers=me, json=create_preferences(
        channels=("inbox", "sms", "email"), email="  Aisha@Example.OM ", phone="9123 4567",
        quiet_hours={"start": "22:00", "end": "07:00"}))
    mine = await client.get("/api/v1/me/preferences", headers=me)
    someone_else = await client.get("/api/v1/me/preferences", headers=as_citizen(signer, SALIM))

    assert saved.status_code == 200, saved.text
    assert mine.json() == {"lang": "ar", "channels": ["inbox", "sms", "email"], "email": "Aisha@example.om",
                           "phone": "+96891234567", "quiet_hours": {"start": "22:00", "end": "07:00"}}
    assert someone_else.json()["email"] is None
    assert someone_else.json()["phone"] is None


BAD_CHANGES: list[tuple[dict[str, object], str]] = [
    ({"phone": "+96824123456", "channels": ["inbox", "sms"]}, "phone"),
    ({"phone": "+96861234567", "channels": ["inbox", "sms"]}, "phone"),
    ({"email": "aisha@@example.om"}, "email"),
    ({"email": "aisha@example"}, "email"),
    ({"email": None}, ""),
    ({"channels": ["inbox", "sms"], "phone": None}, ""),
    ({"quiet_hours": {"start": "22:00", "end": "22:00"}}, "quiet_hours"),
    ({"quiet_hours": {"start": "25:00", "end": "07:00"}}, "quiet_hours.start"),
]


async def test_bad_contact_details_are_refused_without_repeating_them(
        sqlite_client: httpx.AsyncClient, signer: IdentitySigner) -> None:
    client = sqlite_client
    me = as_citizen(signer)
    for change, field in BAD_CHANGES:
        refused = await client.put("/api/v1/me/preferences", headers=me, json=create_preferences() | change)

        assert refused.status_code == 422, change
        assert refused.headers["content-type"] == "application/problem+json"
        assert field in {error["field"] for error in refused.json()["errors"]}, change
        for value in change.values():
            if isinstance(value, str):
                assert value not in refused.text
    stored = await client.get("/api/v1/me/preferences", headers=me)
    assert stored.json()["email"] is None


async def test_an_email_address_can_be_kept_without_choosing_email(
        client: httpx.AsyncClient, signer: IdentitySigner) -> None:
    me = as_citizen(signer)
    saved = await client.put("/api/v1/me/preferences", headers=me,
                             json=create_preferences(channels=("inbox",), email=AISHA_EMAIL))

    assert saved.status_code == 200
    assert saved.json()["email"] == AISHA_EMAIL
    assert saved.json()["channels"] == ["inbox"]
