"""Sign-out through one gateway replica ends the session on all of them, through the database they share."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from asgi_lifespan import LifespanManager
from sqlalchemy.engine import Connection

from services.gateway.app import create_app
from services.gateway.config import Settings
from services.gateway.store import MIGRATIONS, SqlSignedOutSessions, metadata
from shared.db import engine_for
from shared.db.migrate import upgrade
from tests.unit.gateway.conftest import csrf_of

pytestmark = pytest.mark.integration


def differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [d for d in compare_metadata(context, metadata) if not (d[0] == "modify_type" and "UtcDateTime" in repr(d))]


@pytest.mark.empty_database
async def test_the_migrated_schema_is_the_one_the_code_uses(database_url: str) -> None:
    await upgrade(MIGRATIONS, database_url)
    engine = engine_for(database_url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(differences) == []
    finally:
        await engine.dispose()


async def test_a_session_signed_out_on_one_replica_is_refused_by_another_within_the_recheck_time(
        database_url: str, keypair: tuple[str, str]) -> None:
    settings = Settings(identity_private_key=keypair[0], dev_auth=True, database_url=database_url)
    one, two = create_app(settings), create_app(settings)
    two.state.deps.dev_idp = one.state.deps.dev_idp  # one provider's keys, as with a real identity provider
    now = [1000.0]
    two.state.deps.clock = lambda: now[0]
    async with (LifespanManager(one), LifespanManager(two),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=one), base_url="http://test") as first,
                httpx.AsyncClient(transport=httpx.ASGITransport(app=two), base_url="http://test") as second):
        token = (await first.post("/api/v1/auth/dev-token", json={"national_id": "12345678", "name": "Aisha"})
                 ).json()["access_token"]
        kept = (await first.post("/api/v1/auth/dev-token", json={"national_id": "12345678", "name": "Aisha"})
                ).json()["access_token"]
        bearer = {"Authorization": f"Bearer {token}"}
        assert (await second.get("/api/v1/requests", headers=bearer)).status_code != 401

        first.cookies.set("portal_session", token)
        page = await first.get("/sign-in")
        assert (await first.post("/sign-out", data={"csrf_token": csrf_of(page.text)})).status_code == 303
        assert (await first.get("/api/v1/requests", headers=bearer)).status_code == 401

        now[0] += settings.signed_out_recheck_seconds
        assert (await second.get("/api/v1/requests", headers=bearer)).status_code == 401
        assert await two.state.deps.signed_out.is_revoked(token)
        assert not await two.state.deps.signed_out.is_revoked(kept)


async def test_rows_of_sessions_that_have_expired_anyway_are_dropped(database_url: str) -> None:
    await upgrade(MIGRATIONS, database_url)
    engine = engine_for(database_url)
    try:
        sessions = SqlSignedOutSessions(engine)
        await sessions.revoke("old-token", datetime.now(UTC) - timedelta(minutes=1))
        await sessions.revoke("old-token", datetime.now(UTC) - timedelta(minutes=1))
        await sessions.revoke("new-token", datetime.now(UTC) + timedelta(hours=1))
        assert not await sessions.is_revoked("old-token") and await sessions.is_revoked("new-token")
    finally:
        await engine.dispose()
