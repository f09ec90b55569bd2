"""Many replicas starting at once against one fresh PostgreSQL database all come up."""

import asyncio
import sys

import pytest

pytestmark = pytest.mark.integration

UPGRADE = (
    "import asyncio, sys\n"
    "from services.requests.store import MIGRATIONS\n"
    "from shared.db.migrate import upgrade\n"
    "asyncio.run(upgrade(MIGRATIONS, sys.argv[1]))\n"
)


async def test_replicas_migrating_one_database_at_the_same_moment_all_succeed(postgres_url: str) -> None:
    replicas = [await asyncio.create_subprocess_exec(sys.executable, "-c", UPGRADE, postgres_url,
                                                     stderr=asyncio.subprocess.PIPE) for _ in range(4)]
    outcomes = [(await replica.wait(), (await replica.stderr.read()).decode()[-500:]) for replica in replicas
                if replica.stderr is not None]
    assert [code for code, _ in outcomes] == [0] * 4, [error for code, error in outcomes if code]
