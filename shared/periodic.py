"""A job run every few seconds in a service's lifespan: gauges, scans, flushing counts."""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from shared.logging import get_logger

log = get_logger(__name__)


class Every:
    """Runs `job` every `seconds` until stopped (never when `seconds` is 0 or less); with `at_start` once at
    once, with `on_stop` once more on the way out. A failing run is logged and the next one still happens.
    Stopping waits for a run in progress rather than cancelling it, which could strand a database connection
    mid-transaction."""

    def __init__(self, seconds: float, job: Callable[[], Awaitable[object]], name: str, *, at_start: bool = False,
                 on_stop: bool = False) -> None:
        self._seconds, self._job, self._name = seconds, job, name
        self._at_start, self._on_stop = at_start, on_stop
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._seconds <= 0 or self._task is not None:
            return
        self._stopping.clear()
        self._task = asyncio.create_task(self._loop(), name=self._name)

    async def _loop(self) -> None:
        if self._at_start:
            await self._run()
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self._seconds)
            if not self._stopping.is_set() or self._on_stop:
                await self._run()

    async def _run(self) -> None:
        try:
            await self._job()
        except Exception:
            log.exception("periodic_job_failed", job=self._name)

    async def stop(self) -> None:
        if self._task is None:
            return
        self._stopping.set()
        await self._task
        self._task = None
