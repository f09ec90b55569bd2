"""Service titles from the catalogue over HTTP, cached: a message names "Passport renewal", not its slug.

The catalogue is asked briefly and never relied on: when it does not answer, the message uses the slug
(and the failure is remembered for a while, so a catalogue outage does not slow every notification).
"""

import time
from collections import OrderedDict
from collections.abc import Callable
from urllib.parse import quote

import httpx
from pydantic import ValidationError

from shared.contracts.base import Bilingual
from shared.logging import get_logger

log = get_logger(__name__)


class HttpServiceTitles:
    def __init__(self, client: httpx.AsyncClient, *, ttl_seconds: float = 600.0, failure_ttl_seconds: float = 30.0,
                 max_entries: int = 2000, clock: Callable[[], float] = time.monotonic) -> None:
        self._client, self._clock = client, clock
        self._ttl, self._failure_ttl, self._max = ttl_seconds, failure_ttl_seconds, max_entries
        self._cache: OrderedDict[str, tuple[float, Bilingual | None]] = OrderedDict()

    async def title(self, slug: str) -> Bilingual | None:
        cached = self._cache.get(slug)
        if cached is not None and cached[0] > self._clock():
            self._cache.move_to_end(slug)
            return cached[1]
        title, ttl = await self._fetch(slug)
        self._cache[slug] = (self._clock() + ttl, title)
        self._cache.move_to_end(slug)
        while len(self._cache) > self._max:
            self._cache.popitem(last=False)
        return title

    async def _fetch(self, slug: str) -> tuple[Bilingual | None, float]:
        try:
            response = await self._client.get(f"/api/v1/services/{quote(slug, safe='')}")
        except httpx.HTTPError as exc:
            log.warning("service_title_unavailable", service=slug, error=type(exc).__name__)
            return None, self._failure_ttl
        if response.status_code == 404:
            return None, self._ttl
        if response.status_code != 200:
            log.warning("service_title_unavailable", service=slug, status=response.status_code)
            return None, self._failure_ttl
        try:
            return Bilingual.model_validate(response.json().get("title")), self._ttl
        except (ValueError, AttributeError, ValidationError):
            return None, self._failure_ttl

    async def close(self) -> None:
        await self._client.aclose()
