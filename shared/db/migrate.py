"""Alembic, run programmatically: each service upgrades its own database to head at start-up.

Alembic (with Mako and its dialect modules, some 10 MB resident) is imported only when a migration runs: a service
whose migrations are left to the deploy job never loads it."""

import asyncio
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection

from shared.db.engine import engine_for

if TYPE_CHECKING:
    from alembic.autogenerate.api import AutogenContext
    from alembic.config import Config
    from alembic.runtime.environment import EnvironmentContext


def alembic_config(script_location: Path, database_url: str) -> "Config":
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


# Alembic's `context` is process-wide: services sharing a process (no-broker mode) migrate one at a time.
_one_at_a_time = asyncio.Lock()


async def upgrade(script_location: Path, database_url: str) -> None:
    engine = engine_for(database_url)
    try:
        async with _one_at_a_time, engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Many pods start at once: one migrates, the others wait and then find nothing to do.
                await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                         {"key": zlib.crc32(str(script_location.parent.name).encode())})
            await connection.run_sync(_upgrade, alembic_config(script_location, database_url))
    finally:
        await engine.dispose()


def _upgrade(connection: Connection, config: "Config") -> None:
    from alembic import command

    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def run_env(context: "EnvironmentContext", target_metadata: MetaData) -> None:
    """The body of every service's migrations/env.py."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(context, connection, target_metadata)
        return
    url = context.config.get_main_option("sqlalchemy.url") or ""

    async def online() -> None:
        engine = engine_for(url)
        async with engine.begin() as conn:
            await conn.run_sync(lambda sync: _run(context, sync, target_metadata))
        await engine.dispose()

    asyncio.run(online())


def _run(context: "EnvironmentContext", connection: Connection, target_metadata: MetaData) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                      render_item=render_item,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def render_item(type_: str, obj: Any, autogen_context: "AutogenContext") -> str | Literal[False]:
    """Migrations spell UtcDateTime as the column type it stores, so they never import our code."""
    if type_ == "type" and type(obj).__name__ == "UtcDateTime":
        return "sa.DateTime(timezone=True)"
    return False
