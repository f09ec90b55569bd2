"""The requests database built by its migrations is the one the code describes, on SQLite and PostgreSQL, and
requests decided before the KPI revision get their decision and completion times from their history."""

from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection

from services.requests.store import MIGRATIONS, metadata
from services.requests.store.kpi_rollups import pack, unpack_dense
from shared.db import engine_for
from shared.db.migrate import alembic_config, upgrade

pytestmark = [pytest.mark.integration, pytest.mark.empty_database]


def differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [d for d in compare_metadata(context, metadata)
            if not (d[0] == "modify_type" and "UtcDateTime" in repr(d))]


def _down(connection: Connection, revision: str, url: str) -> None:
    config = alembic_config(MIGRATIONS, url)
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


async def test_the_migrated_schema_matches_the_tables_the_code_uses_and_the_revision_rolls_back(
        database_url: str) -> None:
    await upgrade(MIGRATIONS, database_url)
    engine = engine_for(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_down, "7b1d2e9c4a10", database_url)
        await upgrade(MIGRATIONS, database_url)
        async with engine.connect() as connection:
            assert await connection.run_sync(differences) == []
    finally:
        await engine.dispose()


def _to(connection: Connection, revision: str, url: str) -> None:
    config = alembic_config(MIGRATIONS, url)
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def test_requests_decided_before_the_upgrade_keep_their_decision_and_completion_times(
        database_url: str) -> None:
    engine = engine_for(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_to, "7b1d2e9c4a10", database_url)
            await connection.execute(text(
                "INSERT INTO requests (tracking_number, service, service_version, ministry, citizen, lang, status, "
                "fields, submitted_at, updated_at, due_on) VALUES ('ROP-2026-000001-X', 's', 1, 'rop', '12345678', "
                "'ar', 'completed', '{}', '2026-01-04 08:00:00+00', '2026-01-06 08:00:00+00', "
                "'2026-01-06 08:00:00+00')"))
            for status, at, applied in (("submitted", "04", 1), ("approved", "05", 1), ("approved", "05", 0),
                                        ("completed", "06", 1)):
                await connection.execute(text(
                    "INSERT INTO request_history (tracking_number, status, actor, at, applied) VALUES "
                    f"('ROP-2026-000001-X', '{status}', 'ministry:rop', '2026-01-{at} 08:00:00+00', {applied})"))
        await upgrade(MIGRATIONS, database_url)
        async with engine.connect() as connection:
            row = (await connection.execute(text(
                "SELECT decided_at, completed_at FROM requests"))).one()
        assert [str(v)[:10] for v in row] == ["2026-01-05", "2026-01-06"]
    finally:
        await engine.dispose()


async def test_monthly_processing_times_kept_before_the_dense_revision_read_the_same_after_it_and_back(
        database_url: str) -> None:
    pairs = pack({2: 3, 40: 1, 7: 12})
    engine = engine_for(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_to, "c19b19e3081f", database_url)
            await connection.execute(text("INSERT INTO kpi_months (month, service, ministry, tenths) VALUES "
                                          "('2026-01-01', 's', 'rop', :tenths), ('2026-02-01', 's', 'rop', NULL)"),
                                     {"tenths": pairs})
        await upgrade(MIGRATIONS, database_url)
        async with engine.begin() as connection:
            months = (await connection.execute(text("SELECT tenths FROM kpi_months ORDER BY month"))).scalars().all()
            await connection.run_sync(_down, "c19b19e3081f", database_url)
            rolled_back = (await connection.execute(text("SELECT tenths FROM kpi_months ORDER BY month"))
                           ).scalars().all()
    finally:
        await engine.dispose()
    assert unpack_dense(months[0]) == {2: 3, 7: 12, 40: 1} and months[1] is None
    assert [bytes(b) if b is not None else None for b in rolled_back] == [pairs, None]
