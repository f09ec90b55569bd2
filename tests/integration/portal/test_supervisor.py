"""Supervision with real child processes: the one that dies comes back, the others are left alone, stop ends all."""

import asyncio
import os
import sys
from pathlib import Path

from portal.supervisor import Backoff, Supervisor


async def python(args: list[str], env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(sys.executable, "-c", *args, env=os.environ | env)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


async def test_a_child_that_exits_is_restarted_with_backoff_and_its_siblings_keep_running(tmp_path: Path) -> None:
    supervisor = Supervisor(python, tmp_path, Backoff(first=0.05, longest=0.2))
    await supervisor.start("steady", ["import time; time.sleep(60)"], {})
    await supervisor.start("crashing", ["import sys; sys.exit(3)"], {})
    steady, first = supervisor.pid("steady"), supervisor.pid("crashing")
    for _ in range(100):
        if supervisor.restarts("crashing") >= 3:
            break
        await asyncio.sleep(0.05)
    assert supervisor.restarts("crashing") >= 3
    assert supervisor.pid("crashing") != first
    assert (supervisor.pid("steady"), alive(steady)) == (steady, True)
    assert int((tmp_path / "pids" / "steady.pid").read_text()) == steady
    await supervisor.stop(grace_seconds=5)
    assert not alive(steady)
    assert not (tmp_path / "pids" / "steady.pid").exists()
