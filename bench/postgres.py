"""A fresh set of databases on the machine's PostgreSQL for one `portal up`, dropped after it (as the chaos tier's)."""

import contextlib
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import asyncpg

from bench.settings import BenchSettings
from portal.layout import SERVICES


@contextlib.asynccontextmanager
async def fresh_databases(settings: BenchSettings) -> AsyncIterator[str]:
    """A database per service; yields the PORTAL_DATABASE_URL template (`{service}` in it) that `portal up` reads."""
    prefix = f"bench_{uuid.uuid4().hex[:8]}_"
    names = [prefix + service for service in SERVICES]
    admin = await asyncpg.connect(settings.postgres_dsn)
    try:
        for name in names:
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield f"postgresql+asyncpg://{urlsplit(settings.postgres_dsn).netloc}/{prefix}{{service}}"
    finally:
        admin = await asyncpg.connect(settings.postgres_dsn)
        try:
            for name in names:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
