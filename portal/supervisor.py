"""Supervision for `portal up`: a child that dies is restarted with backoff and the others keep serving.

Only Ctrl-C or SIGTERM (which cancels the run) stops everything.
"""

import asyncio
import contextlib
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from shared.logging import get_logger

log = get_logger(__name__)

Spawn = Callable[[list[str], dict[str, str]], Awaitable[asyncio.subprocess.Process]]


@dataclass(frozen=True)
class Backoff:
    """Exponential delay between restarts; a child that stayed up `stable_after` seconds starts again from `first`."""

    first: float = 0.5
    longest: float = 30.0
    stable_after: float = 60.0

    def delay(self, consecutive_failures: int) -> float:
        return float(min(self.first * 2 ** max(consecutive_failures - 1, 0), self.longest))


def exit_status(returncode: int) -> str:
    if returncode < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-returncode).name}"
        return f"killed by signal {-returncode}"
    return f"exit code {returncode}"


@dataclass
class _Child:
    name: str
    args: list[str]
    env: dict[str, str]
    process: asyncio.subprocess.Process
    started_at: float
    failures: int = 0
    watcher: asyncio.Task[None] | None = field(default=None, repr=False)


class Supervisor:
    """Starts named child processes, restarts each one that exits, and writes `<run_dir>/pids/<name>.pid`."""

    def __init__(self, spawn: Spawn, run_dir: Path, backoff: Backoff | None = None) -> None:
        self._spawn, self._pids, self._backoff = spawn, run_dir / "pids", backoff or Backoff()
        self._children: dict[str, _Child] = {}
        self._stopping = asyncio.Event()

    @property
    def names(self) -> list[str]:
        return list(self._children)

    def pid(self, name: str) -> int:
        return self._children[name].process.pid

    def restarts(self, name: str) -> int:
        return self._children[name].failures

    async def start(self, name: str, args: list[str], env: dict[str, str]) -> None:
        process = await self._spawn(args, env)
        child = _Child(name, args, env, process, time.monotonic())
        self._children[name] = child
        self._write_pid(child)
        child.watcher = asyncio.create_task(self._watch(child), name=f"supervise-{name}")

    def _write_pid(self, child: _Child) -> None:
        self._pids.mkdir(parents=True, exist_ok=True)
        (self._pids / f"{child.name}.pid").write_text(f"{child.process.pid}\n")

    async def _watch(self, child: _Child) -> None:
        while True:
            returncode = await child.process.wait()
            if self._stopping.is_set():
                return
            ran_for = time.monotonic() - child.started_at
            child.failures = 1 if ran_for >= self._backoff.stable_after else child.failures + 1
            delay = self._backoff.delay(child.failures)
            log.warning("child_exited", child=child.name, pid=child.process.pid, exit_status=exit_status(returncode),
                        ran_seconds=round(ran_for, 1), restart_in_seconds=delay, restarts=child.failures)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=delay)
            if self._stopping.is_set():
                return
            child.started_at = time.monotonic()
            try:
                child.process = await self._spawn(child.args, child.env)
            except OSError:
                log.exception("child_restart_failed", child=child.name)
                continue
            self._write_pid(child)
            log.info("child_restarted", child=child.name, pid=child.process.pid)
            if self._stopping.is_set():  # stop() began while this child was starting: it goes too
                child.process.send_signal(signal.SIGTERM)

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """SIGTERM every child, then SIGKILL whatever is still running after the grace period.

        Watchers are not cancelled but told to stop, so a child being restarted at this moment is stopped too.
        """
        self._stopping.set()
        children = list(self._children.values())
        for child in children:
            if child.process.returncode is None:
                child.process.send_signal(signal.SIGTERM)
        watchers = [c.watcher for c in children if c.watcher is not None]
        _, running = await asyncio.wait(watchers, timeout=grace_seconds) if watchers else (set(), set())
        if running:
            for child in children:
                if child.process.returncode is None:
                    child.process.kill()
            await asyncio.wait(running)
        for child in children:
            (self._pids / f"{child.name}.pid").unlink(missing_ok=True)


async def keep_running(name: str, run: Callable[[], Awaitable[None]], *, stopping: asyncio.Event,
                       backoff: Backoff | None = None) -> None:
    """In-process supervision (no-broker mode): run again, with backoff, whatever stops or fails, until stopping."""
    backoff = backoff or Backoff()
    failures = 0
    while not stopping.is_set():
        started = time.monotonic()
        try:
            await run()
            outcome = "returned"
        except asyncio.CancelledError:
            raise
        except (Exception, SystemExit) as exc:  # uvicorn exits with SystemExit when it cannot start
            outcome = f"{type(exc).__name__}: {exc}"
        if stopping.is_set():
            return
        ran_for = time.monotonic() - started
        failures = 1 if ran_for >= backoff.stable_after else failures + 1
        delay = backoff.delay(failures)
        log.warning("task_stopped", task=name, outcome=outcome, ran_seconds=round(ran_for, 1),
                    restart_in_seconds=delay, restarts=failures)
        await asyncio.sleep(delay)
