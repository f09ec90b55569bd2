"""End-to-end: from a ministry's status event on the bus until the citizen sees it through the gateway."""

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx

from bench.payload import status_envelope
from bench.search import Latency, measure_search_through_gateway
from bench.settings import REPO, BenchSettings
from portal.onboarding import MinistryCredentials, dev_token, onboard_ministry
from services.gateway.config import Settings as GatewaySettings
from shared.bus.admin import BrokerAdmin, with_credentials
from shared.bus.rabbit import RabbitBus
from shared.bus.topology import FROM_MINISTRIES, ministry_broker_user

READY = b"The portal is ready"
READY_TIMEOUT = 180.0
SUBMITTABLE_TIMEOUT = 60.0
STATUS_TIMEOUT = 30.0
POLL_INTERVAL = 0.005
WARMUP_REQUESTS = 5
SERVICE_SLUG = "bench-latency-probe"
PORTAL_PORTS = 5
# The bench is one client sending far more than a person would: the gateway's token buckets (per address, citizen
# and API key, and per route: sign-in, search, submissions; tight by default, issue 17) would answer 429 and measure
# the limiter instead of the portal. The portal the bench starts gets every limit the gateway has (read from its
# settings, so a new one is covered too) set far above what any bench step sends; nothing needs setting by hand.
BENCH_PORTAL_ENV = {f"GATEWAY_{name.upper()}": "1000000" for name in GatewaySettings.model_fields
                    if name.startswith(("rate_", "burst_"))}


@dataclass
class LatencyResult:
    status_ms: list[float] = field(default_factory=list)
    confirm_ms: list[float] = field(default_factory=list)
    polls: list[int] = field(default_factory=list)
    health_ms: list[float] = field(default_factory=list)
    lookup_ms: list[float] = field(default_factory=list)
    search_through_gateway: Latency | None = None


@dataclass(frozen=True)
class Portal:
    gateway_url: str
    amqp_url: str
    admin: BrokerAdmin
    pid: int


class PortalProcess:
    """`portal up` in its own vhost, ports and run directory, its output kept in a log file."""

    def __init__(self, settings: BenchSettings, amqp_url: str, run_dir: Path, database_url: str | None = None) -> None:
        """database_url: PORTAL_DATABASE_URL's template (bench.postgres); None, SQLite files in the run directory."""
        self._env = os.environ | {
            "PORTAL_AMQP_URL": amqp_url, "PORTAL_MANAGEMENT_URL": settings.management_url,
            "PORTAL_BASE_PORT": str(settings.base_port), "PORTAL_RUN_DIR": str(run_dir),
            "PORTAL_LOG_LEVEL": "warning",
        } | BENCH_PORTAL_ENV
        if database_url is not None:
            self._env["PORTAL_DATABASE_URL"] = database_url
        else:
            self._env.pop("PORTAL_DATABASE_URL", None)
        self._log = run_dir / "portal.log"
        self._process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self._log.open("wb") as output:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "portal.cli", "up", env=self._env, cwd=REPO, stdout=output,
                stderr=asyncio.subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + READY_TIMEOUT
        while READY not in self._log.read_bytes():
            if self._process.returncode is not None or time.monotonic() > deadline:
                raise RuntimeError(f"portal up did not become ready:\n{self.tail()}")
            await asyncio.sleep(0.2)

    async def stop(self) -> None:
        if self._process is None or self._process.returncode is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self._process.wait(), 30)
        except TimeoutError:
            self._process.kill()
            await self._process.wait()

    @property
    def pid(self) -> int:
        assert self._process is not None, "not started"
        return self._process.pid

    def tail(self, chars: int = 3000) -> str:
        return self._log.read_text(errors="replace")[-chars:] if self._log.exists() else "(no output)"


def ensure_ports_free(base_port: int) -> None:
    for port in range(base_port, base_port + PORTAL_PORTS):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                raise RuntimeError(f"port {port} is taken: set BENCH_BASE_PORT to a free range of "
                                   f"{PORTAL_PORTS} ports")


@contextlib.asynccontextmanager
async def running_portal(settings: BenchSettings, database_url: str | None = None) -> AsyncIterator[Portal]:
    ensure_ports_free(settings.base_port)
    vhost = f"bench-e2e-{uuid.uuid4().hex[:8]}"
    amqp_url = settings.amqp_url(vhost)
    admin = BrokerAdmin(settings.management_url, "guest", "guest", vhost)
    run_dir = Path(tempfile.mkdtemp(prefix="bench-portal-"))
    process = PortalProcess(settings, amqp_url, run_dir, database_url)
    try:
        await process.start()
        yield Portal(f"http://127.0.0.1:{settings.base_port}", amqp_url, admin, process.pid)
    except BaseException:
        print(f"--- portal output (tail) ---\n{process.tail()}", file=sys.stderr)
        raise
    finally:
        await process.stop()
        await admin.delete_vhost()
        await admin.close()
        shutil.rmtree(run_dir, ignore_errors=True)


async def delete_broker_user(settings: BenchSettings, user: str) -> None:
    async with httpx.AsyncClient(base_url=settings.management_url, auth=("guest", "guest")) as client:
        await client.delete(f"/api/users/{quote(user, safe='')}")


def probe_service() -> dict[str, object]:
    return {
        "slug": SERVICE_SLUG,
        "title": {"ar": "خدمة لقياس الأداء", "en": "Latency probe"},
        "description": {"ar": "خدمة تجريبية لقياس زمن تحديث حالة الطلب.",
                        "en": "A test service to measure how fast a status update reaches the citizen."},
        "maturity": "electronic",
        "target_days": 1,
        "form": [{"name": "note", "kind": "text", "label": {"ar": "ملاحظة", "en": "Note"},
                  "required": False}],
    }


async def citizen_headers(gateway: httpx.AsyncClient) -> dict[str, str]:
    response = await gateway.post("/api/v1/auth/dev-token",
                                  json={"national_id": "70000001", "name": "Bench citizen", "lang": "en"})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def publish_probe_service(gateway: httpx.AsyncClient, credentials: MinistryCredentials) -> None:
    response = await gateway.post("/api/v1/ministry/services", json=probe_service(),
                                  headers={"Authorization": f"Bearer {credentials.api_key}"})
    if response.status_code != 201:
        raise RuntimeError(f"publishing the probe service failed: {response.status_code} "
                           f"{response.text[:300]}")


async def submit(gateway: httpx.AsyncClient, citizen: dict[str, str]) -> httpx.Response:
    return await gateway.post("/api/v1/requests", headers=citizen,
                              json={"service": SERVICE_SLUG, "fields": {"note": "bench"}})


async def wait_submittable(gateway: httpx.AsyncClient, citizen: dict[str, str]) -> str:
    deadline = time.monotonic() + SUBMITTABLE_TIMEOUT
    while True:
        response = await submit(gateway, citizen)
        if response.status_code == 201:
            return str(response.json()["tracking_number"])
        if time.monotonic() > deadline:
            raise RuntimeError(f"the requests service never took the probe service: {response.text[:300]}")
        await asyncio.sleep(0.1)


async def round_trip_ms(gateway: httpx.AsyncClient, path: str,
                        headers: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    response = await gateway.get(path, headers=headers)
    elapsed = (time.perf_counter() - started) * 1000
    response.raise_for_status()
    return elapsed


class StatusProbe:
    """One request: submitted as the citizen, `received` published as the ministry, polled until visible."""

    def __init__(self, gateway: httpx.AsyncClient, citizen: dict[str, str], ministry: RabbitBus,
                 code: str) -> None:
        self._gateway, self._citizen, self._ministry, self._code = gateway, citizen, ministry, code

    async def run(self, result: LatencyResult | None) -> None:
        health = await round_trip_ms(self._gateway, "/healthz")
        submitted = await submit(self._gateway, self._citizen)
        if submitted.status_code != 201:
            raise RuntimeError(f"submitting failed: {submitted.status_code} {submitted.text[:300]}")
        tracking_number = str(submitted.json()["tracking_number"])
        started = time.perf_counter()
        await self._ministry.publish(status_envelope(self._code, tracking_number), FROM_MINISTRIES,
                                     f"{self._code}.request.status_updated",
                                     user_id=ministry_broker_user(self._code, self._ministry.vhost))
        confirmed = time.perf_counter()
        polls = await self._poll_until_received(tracking_number, started)
        seen = time.perf_counter()
        lookup = await round_trip_ms(self._gateway, f"/api/v1/requests/{tracking_number}", self._citizen)
        if result is not None:
            result.health_ms.append(health)
            result.status_ms.append((seen - started) * 1000)
            result.confirm_ms.append((confirmed - started) * 1000)
            result.polls.append(polls)
            result.lookup_ms.append(lookup)

    async def _poll_until_received(self, tracking_number: str, started: float) -> int:
        polls = 0
        while True:
            response = await self._gateway.get(f"/api/v1/requests/{tracking_number}", headers=self._citizen)
            polls += 1
            if response.status_code == 200 and response.json()["status"] == "received":
                return polls
            if time.perf_counter() - started > STATUS_TIMEOUT:
                raise TimeoutError(f"{tracking_number} not received after {STATUS_TIMEOUT:.0f}s: "
                                   f"{response.text[:300]}")
            await asyncio.sleep(POLL_INTERVAL)


async def measure_latency(settings: BenchSettings) -> LatencyResult:
    code = f"bench{uuid.uuid4().hex[:6]}"
    async with running_portal(settings) as portal, httpx.AsyncClient(base_url=portal.gateway_url,
                                                                     timeout=15.0) as gateway:
        name = {"ar": "وزارة القياس", "en": "Ministry of Benchmarks"}
        credentials = await onboard_ministry(gateway, await dev_token(gateway), code, name, portal.admin)
        ministry = RabbitBus(with_credentials(portal.amqp_url, credentials.broker_user,
                                              credentials.broker_password), name=f"bench-{code}")
        try:
            await publish_probe_service(gateway, credentials)
            citizen = await citizen_headers(gateway)
            await wait_submittable(gateway, citizen)
            await ministry.start()
            probe = StatusProbe(gateway, citizen, ministry, code)
            for _ in range(WARMUP_REQUESTS):
                await probe.run(None)
            result = LatencyResult()
            for _ in range(settings.requests):
                await probe.run(result)
            # Last: it replaces this portal's search index with the synthetic catalogue.
            result.search_through_gateway = await measure_search_through_gateway(portal.gateway_url)
            return result
        finally:
            await ministry.close()
            await delete_broker_user(settings, credentials.broker_user)


# How often RabbitMQ's management plugin samples a queue's length (collect_statistics_interval, 5 s by default),
# with a margin: a figure read this long after the load was sampled after it.
STATISTICS_SECONDS = 5.5


async def drained(settings: BenchSettings, vhost: str, within: float = 300.0) -> float:
    """Seconds, counted from the call (the load's end), by which no queue the portal consumes held a message, as
    RabbitMQ's management API reports. Its figures are sampled every few seconds: an empty one read sooner could
    have been sampled during the load, so the first one that counts is read STATISTICS_SECONDS after the call, and
    the answer is an upper bound (the backlog only shrinks once the load is over). Queues without a consumer (the
    probe ministry's inbox, dead letters) are not waited for."""
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=settings.management_url, auth=("guest", "guest")) as client:
        while True:
            response = await client.get(f"/api/queues/{quote(vhost, safe='')}",
                                        params={"columns": "name,messages,consumers"})
            response.raise_for_status()
            empty = not any(queue.get("messages") for queue in response.json() if queue.get("consumers"))
            if empty and time.monotonic() - started >= STATISTICS_SECONDS:
                return time.monotonic() - started
            if time.monotonic() - started > within:
                raise RuntimeError(f"the portal's queues still held messages {within:.0f} s after the load")
            await asyncio.sleep(0.5)
