"""Ministry integration under load: submissions through the gateway, and five ministries publishing at once."""

import asyncio
import os
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from bench.cpu import CpuReading, ms_per_unit
from bench.e2e import Portal, delete_broker_user, drained, running_portal
from bench.postgres import fresh_databases
from bench.settings import BenchSettings
from bench.stats import load_generator_uncollected, median, percentile, table
from ministry_sdk import MinistryClient
from portal.onboarding import MinistryCredentials, dev_token, onboard_ministry
from shared.bus.admin import with_credentials

MINISTRIES = 5
CONCURRENCY = 8
BASELINE_SECONDS = 2.0
ROUNDS = 3
POLL_INTERVAL = 0.01
PACE_SECONDS = 0.25
VISIBLE_TIMEOUT = 60.0


SQLITE, POSTGRESQL = "SQLite", "PostgreSQL"
# Issue 23's bar for submissions through the gateway: a share of the gateway's own /healthz rate in the same run
# (which a loaded machine moves far less than either rate), and on PostgreSQL a p99 in ms as well.
TARGETS: dict[str, tuple[float, float | None]] = {SQLITE: (0.2, None), POSTGRESQL: (0.3, 100.0)}


@dataclass
class Round:
    """One round of submissions and its baseline: calls to /healthz for BASELINE_SECONDS, half just before the
    submissions and half just after, once the portal has worked off what they set off (within `drain_seconds`). A
    baseline taken while the notifications and popularity consumers still ran would read a busier machine than the
    submissions' ratio stands against; one taken on one side only carried the machine's drift into the ratio. The CPU
    each part of the machine spent is read beside both: per submission, its backlog worked off; per /healthz call."""

    submit_ms: list[float]
    submit_seconds: float
    health_ms: list[float]
    health_seconds: float
    drain_seconds: float
    busy_seconds: float
    submit_cpu: Counter[str]
    health_cpu: Counter[str]

    @property
    def ratio(self) -> float:
        return (len(self.submit_ms) / self.submit_seconds) / (len(self.health_ms) / self.health_seconds)


@dataclass
class Submissions:
    """Submissions through the gateway on one portal (one database engine), in ROUNDS rounds, each against its own
    baseline: the ratio is the median of the rounds' (as the bus bench's is), which one stall of this shared machine
    does not move; the rates, p99 and CPU are over all the rounds."""

    database: str
    rounds: list[Round] = field(default_factory=list)

    @property
    def submit_ms(self) -> list[float]:
        return [ms for r in self.rounds for ms in r.submit_ms]

    @property
    def health_ms(self) -> list[float]:
        return [ms for r in self.rounds for ms in r.health_ms]

    @property
    def per_second(self) -> float:
        return len(self.submit_ms) / sum(r.submit_seconds for r in self.rounds)

    @property
    def health_per_second(self) -> float:
        return len(self.health_ms) / sum(r.health_seconds for r in self.rounds)

    @property
    def ratio(self) -> float:
        return median([r.ratio for r in self.rounds])

    @property
    def p99(self) -> float:
        return percentile(self.submit_ms, 99)

    @property
    def drain_seconds(self) -> float:
        return max(r.drain_seconds for r in self.rounds)

    @property
    def busy_share(self) -> float:
        return sum(r.busy_seconds for r in self.rounds) / (
            sum(r.submit_seconds for r in self.rounds) * (os.cpu_count() or 1))

    @property
    def submit_cpu_ms(self) -> dict[str, float]:
        return ms_per_unit(sum((r.submit_cpu for r in self.rounds), Counter()), len(self.submit_ms))

    @property
    def health_cpu_ms(self) -> dict[str, float]:
        return ms_per_unit(sum((r.health_cpu for r in self.rounds), Counter()), len(self.health_ms))

    def verdict(self) -> str:
        """The target and whether this run met it."""
        ratio, p99 = TARGETS[self.database]
        target = f"≥ {ratio:.1f}×" + (f", p99 < {p99:.0f} ms" if p99 is not None else "")
        met = self.ratio >= ratio and (p99 is None or self.p99 < p99)
        return f"target {target}: {'met' if met else 'NOT met'}"


@dataclass
class MinistryLoad:
    submissions: list[Submissions] = field(default_factory=list)
    burst_events: int = 0
    burst_seconds: float = 0.0
    visible_ms: list[float] = field(default_factory=list)

    @property
    def events_per_second(self) -> float:
        return self.burst_events / self.burst_seconds


@dataclass
class BenchMinistry:
    credentials: MinistryCredentials
    client: MinistryClient
    slug: str

    @property
    def code(self) -> str:
        return self.credentials.code

    @property
    def api_key(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.credentials.api_key}"}


def _service(slug: str) -> dict[str, object]:
    return {
        "slug": slug, "title": {"ar": "خدمة لقياس الحمل", "en": "Load probe"},
        "description": {"ar": "خدمة تجريبية لقياس الحمل على الوزارات.", "en": "A test service to load ministries."},
        "maturity": "electronic", "target_days": 5,
        "form": [{"name": "note", "kind": "text", "label": {"ar": "ملاحظة", "en": "Note"}, "required": False}],
    }


async def _timed_many(count: int, action: Callable[[int], Awaitable[None]]) -> tuple[list[float], float]:
    """`count` actions, CONCURRENCY at a time; each one's latency in ms, and the wall time in seconds."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(count):
        queue.put_nowait(n)
    return await _timed(lambda: not queue.empty(), lambda: queue.get_nowait(), action)


async def _timed_for(seconds: float, action: Callable[[int], Awaitable[None]]) -> tuple[list[float], float]:
    """As many actions as `seconds` allow, CONCURRENCY at a time: a baseline whose window does not shrink as the
    machine speeds up."""
    deadline = time.perf_counter() + seconds
    return await _timed(lambda: time.perf_counter() < deadline, lambda: 0, action)


async def _timed(more: Callable[[], bool], next_n: Callable[[], int], action: Callable[[int], Awaitable[None]]
                 ) -> tuple[list[float], float]:
    latencies: list[float] = []

    async def worker() -> None:
        while more():
            n = next_n()
            started = time.perf_counter()
            await action(n)
            latencies.append((time.perf_counter() - started) * 1000)

    with load_generator_uncollected():
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return latencies, time.perf_counter() - started


async def _onboard(portal: Portal, gateway: httpx.AsyncClient, run: str) -> list[BenchMinistry]:
    token = await dev_token(gateway)
    ministries = []
    for index in range(MINISTRIES):
        code = f"ld{run}{index}"
        credentials = await onboard_ministry(gateway, token, code, {"ar": f"وزارة {index}", "en": f"Ministry {index}"},
                                             portal.admin)
        slug = f"load-probe-{code}"
        response = await gateway.post("/api/v1/ministry/services", json=_service(slug),
                                      headers={"Authorization": f"Bearer {credentials.api_key}"})
        response.raise_for_status()
        url = with_credentials(portal.amqp_url, credentials.broker_user, credentials.broker_password)
        ministries.append(BenchMinistry(credentials, MinistryClient(url, code), slug))
    return ministries


async def _citizen(gateway: httpx.AsyncClient, national_id: str) -> dict[str, str]:
    response = await gateway.post("/api/v1/auth/dev-token", json={"national_id": national_id, "name": "Bench"})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def _submit(gateway: httpx.AsyncClient, citizen: dict[str, str], slug: str) -> str:
    deadline = time.monotonic() + VISIBLE_TIMEOUT
    while True:
        response = await gateway.post("/api/v1/requests", headers=citizen,
                                      json={"service": slug, "fields": {"note": "bench"}})
        if response.status_code == 201:
            return str(response.json()["tracking_number"])
        if response.status_code != 404 or time.monotonic() > deadline:
            raise RuntimeError(f"submitting failed: {response.status_code} {response.text[:300]}")
        await asyncio.sleep(0.1)  # the requests service has not cached the new service yet


async def _received_count(gateway: httpx.AsyncClient, ministry: BenchMinistry) -> int:
    response = await gateway.get("/api/v1/ministry/requests", params={"status": "received"},
                                 headers=ministry.api_key)
    response.raise_for_status()
    return int(response.json()["total"])


async def _visible_after(gateway: httpx.AsyncClient, citizen: dict[str, str], tracking_number: str,
                         started: float) -> float:
    while True:
        response = await gateway.get(f"/api/v1/requests/{tracking_number}", headers=citizen)
        if response.status_code == 200 and response.json()["status"] == "received":
            return (time.perf_counter() - started) * 1000
        if time.perf_counter() - started > VISIBLE_TIMEOUT:
            raise TimeoutError(f"{tracking_number} not visible after {VISIBLE_TIMEOUT:.0f} s")
        await asyncio.sleep(POLL_INTERVAL)


async def _paced(gateway: httpx.AsyncClient, citizen: dict[str, str], ministry: BenchMinistry, numbers: list[str],
                 result: MinistryLoad) -> None:
    """One event every PACE_SECONDS, each watched through the gateway until the citizen sees it."""
    watchers = []
    for number in numbers:
        started = time.perf_counter()
        await ministry.client.update_status(number, "received")
        watchers.append(asyncio.create_task(_visible_after(gateway, citizen, number, started)))
        await asyncio.sleep(PACE_SECONDS)
    result.visible_ms.extend(await asyncio.gather(*watchers))


async def measure_ministries(settings: BenchSettings) -> MinistryLoad:
    """On SQLite (`portal up`'s default) every part; then, on a fresh set of PostgreSQL databases, the submissions
    and their /healthz baseline alone (the status events' figures hardly differ, and each portal costs a start-up)."""
    result = MinistryLoad()
    result.submissions.append(await _on_portal(settings, SQLITE, None, result))
    async with fresh_databases(settings) as database_url:
        result.submissions.append(await _on_portal(settings, POSTGRESQL, database_url, None))
    return result


async def _on_portal(settings: BenchSettings, database: str, database_url: str | None,
                     statuses: MinistryLoad | None) -> Submissions:
    """The submissions and their baseline on one portal; the status events too when `statuses` is given."""
    run = uuid.uuid4().hex[:4]
    submissions = Submissions(database)
    async with running_portal(settings, database_url) as portal, httpx.AsyncClient(base_url=portal.gateway_url,
                                                                                   timeout=30.0) as gateway:
        ministries = await _onboard(portal, gateway, run)
        try:
            for ministry in ministries:
                await ministry.client.start()
            citizen = await _citizen(gateway, "70000002")
            for ministry in ministries:
                await _submit(gateway, citizen, ministry.slug)  # warm: the service is cached
            burst = settings.requests * 2
            numbers: dict[str, list[str]] = {m.code: [] for m in ministries}

            async def submit_one(n: int) -> None:
                ministry = ministries[n % MINISTRIES]
                numbers[ministry.code].append(await _submit(gateway, citizen, ministry.slug))

            async def health(_: int) -> None:
                (await gateway.get("/healthz")).raise_for_status()

            paced = settings.requests // 2  # status events per ministry, one per PACE_SECONDS
            count = max(settings.submissions, burst + MINISTRIES * paced)
            await drained(settings, portal.admin.vhost)  # the warm-up's events worked off
            for _ in range(ROUNDS):
                submissions.rounds.append(await _measure(settings, portal, count, submit_one, health))
            if statuses is not None:
                await _status_events(gateway, citizen, ministries, numbers, burst // MINISTRIES, paced, statuses)
            return submissions
        finally:
            for ministry in ministries:
                await ministry.client.close()
                await delete_broker_user(settings, ministry.credentials.broker_user)


async def _measure(settings: BenchSettings, portal: Portal, count: int, submit_one: Callable[[int], Awaitable[None]],
                   health: Callable[[int], Awaitable[None]]) -> Round:
    before = CpuReading.now(portal.pid)
    before_ms, before_seconds = await _timed_for(BASELINE_SECONDS / 2, health)
    submitting = CpuReading.now(portal.pid)
    submit_ms, submit_seconds = await _timed_many(count, submit_one)
    submitted = CpuReading.now(portal.pid)
    drain_seconds = await drained(settings, portal.admin.vhost)
    drained_reading = CpuReading.now(portal.pid)
    after_ms, after_seconds = await _timed_for(BASELINE_SECONDS / 2, health)
    after = CpuReading.now(portal.pid)
    return Round(submit_ms, submit_seconds, before_ms + after_ms, before_seconds + after_seconds,
                 drain_seconds, submitted.busy - submitting.busy, submitting.spent(drained_reading),
                 before.spent(submitting) + drained_reading.spent(after))


async def _status_events(gateway: httpx.AsyncClient, citizen: dict[str, str], ministries: list[BenchMinistry],
                         numbers: dict[str, list[str]], per_ministry: int, paced: int, result: MinistryLoad) -> None:
    """A burst of `received` from every ministry at once, then `paced` more from each, one per PACE_SECONDS, each
    watched through the gateway."""
    started = time.perf_counter()
    await asyncio.gather(*(ministry.client.update_status(number, "received")
                           for ministry in ministries for number in numbers[ministry.code][:per_ministry]))
    while sum([await _received_count(gateway, m) for m in ministries]) < per_ministry * MINISTRIES:
        if time.perf_counter() - started > VISIBLE_TIMEOUT:
            raise TimeoutError("the burst of status events was not all visible in time")
        await asyncio.sleep(0.02)
    result.burst_events, result.burst_seconds = per_ministry * MINISTRIES, time.perf_counter() - started
    await asyncio.gather(*(_paced(gateway, citizen, ministry,
                                  numbers[ministry.code][per_ministry:per_ministry + paced], result)
                           for ministry in ministries))


def _spread(values: list[float]) -> list[str]:
    return [f"{percentile(values, p):.1f}" for p in (50, 90, 99)] + [f"{max(values):.1f}"]


def ministries_report(result: MinistryLoad) -> str:
    rows = []
    for run in result.submissions:
        rows += [[f"POST /api/v1/requests (gateway), {run.database}", f"{run.per_second:,.0f}",
                  *_spread(run.submit_ms)],
                 [f"GET /healthz (baseline), {run.database}", f"{run.health_per_second:,.0f}",
                  *_spread(run.health_ms)]]
    rows.append([f"status → visible, {MINISTRIES} paced at once ({SQLITE})", "", *_spread(result.visible_ms)])
    return "\n".join([
        f"3. Ministry integration: `portal up` on RabbitMQ, {MINISTRIES} ministries on their own broker users "
        f"(ministry SDK), {CONCURRENCY} concurrent clients; the portal's stores on SQLite, then on PostgreSQL "
        f"(fresh databases: submissions alone); submissions in {ROUNDS} rounds, each beside its own /healthz baseline",
        "",
        table(["", "per second", "p50 ms", "p90", "p99", "max"], rows),
        "",
        *(f"submissions on {run.database}: {len(run.submit_ms)} in {len(run.rounds)} rounds at {run.per_second:,.0f}/s "
          f"against gateway /healthz at {run.health_per_second:,.0f}/s (same portal, its queues empty, each round's "
          f"baseline half just before its submissions and half once their backlog was worked off, within "
          f"{run.drain_seconds:.1f} s); ratio, median of the rounds' "
          f"({' / '.join(f'{r.ratio:.3f}' for r in run.rounds)}), {run.ratio:.2f}×; p99 {run.p99:.1f} ms; "
          f"{run.verdict()}"
          for run in result.submissions),
        *(_cpu_line(run) for run in result.submissions),
        f"status burst: {result.burst_events} events from {MINISTRIES} ministries at once, all visible through the "
        f"gateway in {result.burst_seconds:.2f} s = {result.events_per_second:,.0f} events/s",
        f"status paced ({len(result.visible_ms)} events, {MINISTRIES} ministries, each one per "
        f"{PACE_SECONDS * 1000:.0f} ms): visible p50 {percentile(result.visible_ms, 50):.1f} ms, "
        f"p99 {percentile(result.visible_ms, 99):.1f} ms",
    ])


def _cpu_line(run: Submissions) -> str:
    def parts(spent: dict[str, float], digits: int) -> str:
        return ", ".join(f"{part} {ms:.{digits}f}" for part, ms in spent.items() if round(ms, digits))

    return (f"CPU on {run.database}, ms per submission (its backlog worked off included; the machine "
            f"{run.busy_share:.0%} busy while they were made): {parts(run.submit_cpu_ms, 2)}; total "
            f"{sum(run.submit_cpu_ms.values()):.2f} ms. Per /healthz call: {parts(run.health_cpu_ms, 3)}; total "
            f"{sum(run.health_cpu_ms.values()):.3f} ms")


def ministries_summary(result: MinistryLoad) -> str:
    submitted = "; ".join(f"{run.database} {run.per_second:,.0f}/s ({run.ratio:.2f}× /healthz), p99 {run.p99:.0f} ms, "
                          f"{run.verdict()}" for run in result.submissions)
    return (f"ministries: submissions through the gateway on {submitted}; status burst "
            f"{result.events_per_second:,.0f} events/s from {MINISTRIES} ministries; paced status → visible p50 "
            f"{percentile(result.visible_ms, 50):.0f} ms, p99 {percentile(result.visible_ms, 99):.0f} ms")
