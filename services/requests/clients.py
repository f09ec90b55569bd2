"""Adapters for the ports handlers.py names: the catalogue over HTTP, the ministries' queues on the bus."""

import asyncio
from collections.abc import Awaitable, Callable
from urllib.parse import quote

import httpx
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential, wait_random

from services.requests.domain import Unavailable
from shared.bus import BatchHandler, Bus
from shared.bus.topology import QueueSpec, from_ministry, ministry_inbox
from shared.contracts.catalog import ServiceRecord
from shared.logging import get_logger

log = get_logger(__name__)


class HttpCatalog:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def fetch(self, slug: str) -> ServiceRecord | None:
        try:
            async for attempt in AsyncRetrying(stop=stop_after_attempt(3), reraise=True,
                                               wait=wait_exponential(multiplier=0.1, max=1.0) + wait_random(0, 0.1),
                                               retry=retry_if_exception_type(httpx.TransportError)):
                with attempt:
                    response = await self._client.get(f"/api/v1/services/{quote(slug, safe='')}")
        except httpx.TransportError as exc:
            log.warning("catalog_unreachable", error=type(exc).__name__)
            raise Unavailable("catalog-unavailable",
                              "The service catalogue cannot be reached right now; please try again shortly.") from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise Unavailable("catalog-unavailable", "The service catalogue answered with an error; try again.")
        return ServiceRecord.model_validate(response.json())


class MinistryQueues:
    """Declares each ministry's inbox once it is known; consumes its status queue if this worker serves it."""

    handler: BatchHandler | None = None

    def __init__(self, bus: Bus, consume: Callable[[QueueSpec, BatchHandler], Awaitable[None]], served: list[str],
                 *, enabled: bool = True) -> None:
        self._bus, self._consume = bus, consume
        self._served = set(served)
        self._enabled = enabled
        self._known: set[str] = set()
        self._lock = asyncio.Lock()

    def _serves(self, ministry: str) -> bool:
        return self._enabled and (not self._served or ministry in self._served)

    @property
    def consuming(self) -> set[str]:
        return {m for m in self._known if self._serves(m)}

    async def ensure(self, ministry: str) -> None:
        if ministry in self._known:
            return
        async with self._lock:
            if ministry in self._known:
                return
            await self._bus.declare([ministry_inbox(ministry), from_ministry(ministry)])
            if self._serves(ministry):
                assert self.handler is not None, "wire the ministry handler before consuming"
                await self._consume(from_ministry(ministry), self.handler)
                log.info("ministry_queue_consumed", ministry=ministry)
            self._known.add(ministry)
