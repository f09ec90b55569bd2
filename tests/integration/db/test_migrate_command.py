"""Production migrates before it deploys: `portal migrate` upgrades a service's database and exits, and a service
told not to migrate at start leaves the schema alone."""

import asyncio
import os
import sys

import pytest
from sqlalchemy import inspect

from services.catalog.store import MIGRATIONS, metadata
from shared.config import ServiceSettings
from shared.db import engine_for
from shared.runtime import Runtime

pytestmark = pytest.mark.integration


async def tables(url: str) -> set[str]:
    engine = engine_for(url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


async def test_portal_migrate_brings_a_services_database_to_the_latest_schema(database_url: str) -> None:
    job = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "portal.cli", "migrate", "catalog",
        env=os.environ | {"CATALOG_DATABASE_URL": database_url}, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    output = (await job.communicate())[0].decode()
    assert job.returncode == 0, output[-2000:]
    assert "catalog: migrated" in output
    assert {"alembic_version", "outbox", "inbox"} <= await tables(database_url)


async def test_a_service_with_start_up_migrations_off_leaves_the_schema_to_the_job(database_url: str) -> None:
    settings = ServiceSettings(database_url=database_url, amqp_url="memory://", identity_public_key="unused",
                               migrate_on_start=False)
    runtime = Runtime("catalog", settings, metadata, MIGRATIONS)
    await runtime.start()
    await runtime.stop()
    assert "alembic_version" not in await tables(database_url)
