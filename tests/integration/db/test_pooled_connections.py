"""A pooled PostgreSQL connection is checked before each use in one round trip, and one the server dropped is
replaced before its next user sees an error."""

from typing import Any

import asyncpg
import pytest
from sqlalchemy import event, text

from shared.db import engine_for
from tests.conftest import PG_ADMIN_DSN

pytestmark = pytest.mark.integration


async def test_a_pooled_connection_is_checked_in_one_round_trip_and_one_the_server_dropped_is_replaced(
        postgres_url: str) -> None:
    engine = engine_for(postgres_url)
    queries: list[str] = []

    @event.listens_for(engine.sync_engine, "connect")
    def log_queries(dbapi_connection: Any, _: Any) -> None:
        dbapi_connection.driver_connection.add_query_logger(lambda logged: queries.append(logged.query))

    try:
        async with engine.connect() as connection:
            pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        queries.clear()
        async with engine.connect():
            pass
        assert queries == [";"]
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
        finally:
            await admin.close()
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one() != pid
    finally:
        await engine.dispose()
