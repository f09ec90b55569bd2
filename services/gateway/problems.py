"""The gateway's own kind of problem: one that tells the caller when to try again."""

from typing import Any

from services.gateway.domain import retry_after_header
from shared.web import Problem


class Throttled(Problem):
    """A problem that carries a Retry-After header (429 from rate limits, 503 from an open breaker)."""

    def __init__(self, status: int, code: str, detail: str, retry_after: float, **extensions: Any) -> None:
        super().__init__(status, code, detail, **extensions)
        self.headers = {"Retry-After": retry_after_header(retry_after)}
