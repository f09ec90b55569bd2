"""`python -m services.requests.learning --at ISO-TIME [--min-citizens N --window-days N --history-days N]`:
retrain against REQUESTS_DATABASE_URL and print the run (RunRow) as one JSON line on stdout; logs go to stderr.
The requests service runs this as its child (child.py) and reads the line."""

import argparse
import asyncio
import json
import os
import sys
from datetime import datetime

from services.requests.domain.patterns import Learning
from services.requests.learning.retrain import learn
from shared.logging import configure_logging


def main(arguments: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m services.requests.learning")
    parser.add_argument("--at", type=datetime.fromisoformat, required=True, help="the training time (ISO 8601)")
    defaults = Learning()
    parser.add_argument("--min-citizens", type=int, default=defaults.min_citizens)
    parser.add_argument("--window-days", type=int, default=defaults.window_days)
    parser.add_argument("--history-days", type=int, default=defaults.history_days)
    given = parser.parse_args(arguments)
    # stdout carries the result alone: the logs are written to stderr.
    result, sys.stdout = sys.stdout, sys.stderr
    configure_logging("requests-learning", os.environ.get("REQUESTS_LOG_LEVEL", "info"))
    run = asyncio.run(learn(os.environ["REQUESTS_DATABASE_URL"],
                            Learning(given.min_citizens, given.window_days, given.history_days), given.at))
    print(json.dumps({**run.__dict__, "trained_at": run.trained_at.isoformat()}), file=result, flush=True)


if __name__ == "__main__":
    main()
