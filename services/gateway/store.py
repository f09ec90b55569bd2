"""The gateway keeps nothing durable: only a short-lived cache of API-key look-ups."""

import hashlib
import time


class ApiKeyCache:
    def __init__(self, ttl_seconds: float = 60.0, max_entries: int = 10_000) -> None:
        self._ttl, self._max = ttl_seconds, max_entries
        self._entries: dict[str, tuple[float, str | None]] = {}

    @staticmethod
    def _key(api_key: str) -> str:
        return hashlib.sha256(api_key.encode()).hexdigest()

    def get(self, api_key: str) -> tuple[bool, str | None]:
        entry = self._entries.get(self._key(api_key))
        if entry is None or entry[0] < time.monotonic():
            return False, None
        return True, entry[1]

    def put(self, api_key: str, ministry: str | None) -> None:
        if len(self._entries) >= self._max:
            self._entries.clear()
        self._entries[self._key(api_key)] = (time.monotonic() + self._ttl, ministry)
