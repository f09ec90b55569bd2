"""Retraining in a child process: the requests service starts `python -m services.requests.learning` and waits
for it, so that numpy, pandas and statsmodels (about 60 MB) are loaded and released there, never in the serving
process."""

import asyncio
import json
import os
import sys
from datetime import datetime

from services.requests.domain.patterns import Learning
from services.requests.store import RunRow
from shared.logging import get_logger

log = get_logger(__name__)


class RetrainingFailed(RuntimeError):
    pass


class ChildRetraining:
    def __init__(self, database_url: str, log_level: str = "info") -> None:
        self._env = {"REQUESTS_DATABASE_URL": database_url, "REQUESTS_LOG_LEVEL": log_level}
        # One retraining at a time from this process (the schedule and staff's button may meet).
        self._one = asyncio.Lock()

    async def retrain(self, learning: Learning, at: datetime) -> RunRow:
        async with self._one:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "services.requests.learning", "--at", at.isoformat(),
                "--min-citizens", str(learning.min_citizens), "--window-days", str(learning.window_days),
                "--history-days", str(learning.history_days),
                env=os.environ | self._env, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE)
            try:
                out, _ = await process.communicate()
            finally:
                # Cancelled (the service stopping): the child stops with it.
                if process.returncode is None:
                    process.kill()
                    await process.wait()
        if process.returncode != 0:
            log.error("insights_retrain_failed", exit_code=process.returncode)
            raise RetrainingFailed(f"retraining exited with {process.returncode}")
        kept = json.loads(out)
        return RunRow(datetime.fromisoformat(kept["trained_at"]), kept["requests"], kept["citizens"],
                      kept["patterns"], kept["seconds"])
