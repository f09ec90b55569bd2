"""A job run every few seconds in the service's lifespan, such as writing out the query counts."""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from shared.logging import get_logger

log = get_logger(__name__)


class Every:
    """Runs `job` every `seconds` until stopped, and once more on the way out; a failing run is logged
    and the next one still happens. Stopping waits for a run in progress rather than cancelling it,
    which could strand a database connection mid-transaction."""

    def __init__(self, seconds: float, job: Callable[[], Awaitable[None]], name: str) -> None:
        self._seconds, self._job, self._name = seconds, job, name
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._loop(), name=self._name)

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self._seconds)
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
