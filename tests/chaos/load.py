"""A bounded load: citizens submitting requests at a steady rate, as their apps would (retrying with one key)."""

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from tests.chaos.portal import LOAD_SERVICES

ANSWER_WITHIN = 120.0


async def answered(call: Callable[[], Awaitable[httpx.Response]], within: float = ANSWER_WITHIN) -> httpx.Response:
    """The gateway's answer once it answers (it may be restarting after a fault): not a 5xx, nor no connection."""
    deadline = time.monotonic() + within
    while True:
        try:
            response = await call()
            if response.status_code < 500 or time.monotonic() > deadline:
                return response
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
        await asyncio.sleep(1.0)


@dataclass(frozen=True)
class Submitted:
    tracking_number: str
    ministry: str
    citizen: str
    at: datetime


@dataclass
class Load:
    gateway_url: str
    citizens: list[str]
    rate: float = 5.0
    submitted: list[Submitted] = field(default_factory=list)
    refused: int = 0
    _tokens: dict[str, str] = field(default_factory=dict)

    async def sign_in(self, client: httpx.AsyncClient, citizens: list[str] | None = None) -> None:
        for citizen in citizens or self.citizens:
            body = {"national_id": citizen, "name": "Chaos"}
            response = await answered(lambda body=body: client.post("/api/v1/auth/dev-token", json=body))  # type: ignore[misc]
            response.raise_for_status()
            self._tokens[citizen] = response.json()["access_token"]

    async def run_until(self, stop: asyncio.Event, longest: float = 600.0) -> None:
        """Submit at `rate` a second until `stop` (at most `longest` seconds); each submission on its own, so a slow
        answer never slows the rate."""
        async with httpx.AsyncClient(base_url=self.gateway_url, timeout=10.0) as client:
            if not self._tokens:
                await self.sign_in(client)
            ministries = list(LOAD_SERVICES)
            pending: set[asyncio.Task[None]] = set()
            started = time.monotonic()
            for i in range(int(longest * self.rate)):
                if stop.is_set():
                    break
                await asyncio.sleep(max(0.0, started + i / self.rate - time.monotonic()))
                task = asyncio.create_task(self._submit(client, self.citizens[i % len(self.citizens)],
                                                        ministries[i % len(ministries)]))
                pending.add(task)
                task.add_done_callback(pending.discard)
            await asyncio.gather(*pending)

    async def _submit(self, client: httpx.AsyncClient, citizen: str, ministry: str) -> None:
        service, fields = LOAD_SERVICES[ministry]
        key = str(uuid.uuid4())
        at = datetime.now(UTC)
        deadline = time.monotonic() + ANSWER_WITHIN
        attempt = 0
        # As a citizen's app would: the same key again until the portal answers, so a request committed before
        # its answer was lost is answered (replayed) on a retry rather than made twice.
        while True:
            try:
                headers = {"Authorization": f"Bearer {self._tokens[citizen]}", "Idempotency-Key": key}
                response: httpx.Response | None = await client.post("/api/v1/requests", headers=headers,
                                                                    json={"service": service, "fields": fields})
            except httpx.TransportError:
                response = None
            if response is not None and response.status_code == 401:
                # The development sign-in's key is made per gateway process: after a restart, sign in again.
                await self.sign_in(client, [citizen])
                response = None
            if response is not None and response.status_code == 201:
                self.submitted.append(Submitted(response.json()["tracking_number"], ministry, citizen, at))
                return
            if response is not None and response.status_code < 500 and response.status_code != 429:
                break
            if time.monotonic() > deadline:
                break
            attempt += 1
            await asyncio.sleep(min(0.5 * 2 ** attempt, 5.0))
        self.refused += 1

    def token(self, citizen: str) -> str:
        return self._tokens[citizen]
