"""Search: latency and queries/s over a 10,000-service synthetic bilingual catalogue, and relevance.

The search service runs as its own uvicorn process on a free port (embedded engine, its own temporary
database and index), exactly as `portal serve search` runs it. The synthetic catalogue is generated,
deterministically, from the seeded services: each is a seeded service placed in one of Oman's
governorates and mixed with another service's words, so queries meet the overlaps a real catalogue
has. Relevance (bench/relevance.py) is scored on the seeded catalogue, for the portal and, in the same run,
for the plain engine with its stemmer only (understanding off) as the baseline.
"""

import asyncio
import contextlib
import os
import random
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.relevance import (
    SEARCH,
    TierScore,
    relevance_queries,
    score_relevance,
    score_tiers,
    tiered_queries,
    tiers_report,
)
from bench.settings import REPO
from bench.stats import percentile, table
from portal.onboarding import dev_token, seed_ministries, seed_services
from shared.auth import IDENTITY_HEADER, Identity, IdentitySigner, generate_keypair
from shared.contracts.base import Bilingual
from shared.contracts.catalog import ServiceRecord

SERVICES = 10_000
REQUESTS = 2_000
WARMUP = 200
CONCURRENCY = 8
BATCH = 50
TARGET_P99_MS = 10.0
READY_TIMEOUT = 60.0
# hit@3 each tier must reach with understanding on.
SUGGEST = "/api/v1/search/suggest"
REBUILDS = "/api/v1/admin/search/rebuilds"
GOVERNORATES = [
    ("مسقط", "Muscat"), ("ظفار", "Dhofar"), ("مسندم", "Musandam"), ("البريمي", "Al Buraimi"),
    ("الداخلية", "Ad Dakhiliyah"), ("شمال الباطنة", "North Al Batinah"), ("جنوب الباطنة", "South Al Batinah"),
    ("جنوب الشرقية", "South Ash Sharqiyah"), ("شمال الشرقية", "North Ash Sharqiyah"), ("الظاهرة", "Ad Dhahirah"),
    ("الوسطى", "Al Wusta"),
]


@dataclass
class Latency:
    label: str
    ms: list[float]
    qps: float
    concurrency: int


@dataclass
class SearchBench:
    services: int
    endpoint: str
    index_seconds: float
    relevance: TierScore
    latencies: list[Latency]
    tiers: list[TierScore] = field(default_factory=list)
    baseline: list[TierScore] = field(default_factory=list)

    @property
    def search_p99(self) -> float:
        return percentile(self.latencies[0].ms, 99)


def seeded_catalogue() -> list[ServiceRecord]:
    return [ServiceRecord.model_validate(service | {"ministry": m["code"], "ministry_name": m["name"], "version": 1})
            for m in seed_ministries() for service in seed_services(m["code"])]


def synthetic_catalogue(count: int = SERVICES) -> list[ServiceRecord]:
    """The seeded services, then variants of them until there are `count`; the same every run."""
    seeded = seeded_catalogue()
    rng = random.Random(20260101)
    records = list(seeded[:count])
    while len(records) < count:
        n = len(records)
        base, other = seeded[n % len(seeded)], seeded[rng.randrange(len(seeded))]
        place_ar, place_en = GOVERNORATES[rng.randrange(len(GOVERNORATES))]
        records.append(base.model_copy(update={
            "slug": f"{base.slug}-{n:05d}",
            "title": Bilingual(ar=f"{base.title.ar} في {place_ar}", en=f"{base.title.en} in {place_en}"),
            "description": Bilingual(ar=f"{base.description.ar} {other.title.ar}",
                                     en=f"{base.description.en} {other.title.en}"),
            "keywords": [*base.keywords, *other.keywords[:1]],
            "steps": [], "form": [], "evidence": [], "channels": [], "fees": [], "legal_basis": [],
        }))
    return records


def search_requests() -> list[dict[str, Any]]:
    """What the measurement asks, in turn: both relevance sets as citizens type them, plus filtered and
    browsing queries, a second page, and a query of a word no service holds."""
    typed: list[dict[str, Any]] = [{"q": item["q"], "lang": item["lang"]}
                                   for item in [*relevance_queries(), *tiered_queries()]]
    return [*typed,
            {"q": "رخصة", "ministry": "rop"}, {"q": "certificate", "life_event": "education", "lang": "en"},
            {"q": "renew", "lang": "en", "maturity": "electronic"}, {"q": "", "ministry": "moh"},
            {"q": "تجديد", "page": 2}, {"q": "zzqxv"}]


def suggest_requests() -> list[dict[str, str]]:
    return [{"q": item["q"][:n]} for item in relevance_queries() for n in (2, 5) if len(item["q"]) > n]


def _cycle(requests: list[dict[str, Any]], count: int) -> Iterator[dict[str, Any]]:
    return (requests[n % len(requests)] for n in range(count))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class SearchProcess:
    """`portal serve search` on a free port, with its own temporary database and index directory."""

    def __init__(self, run_dir: Path, understanding: bool = True) -> None:
        private, public = generate_keypair()
        self.signer = IdentitySigner(private)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._env = os.environ | {
            "SEARCH_DATABASE_URL": f"sqlite+aiosqlite:///{run_dir / 'search.db'}",
            "SEARCH_AMQP_URL": "memory://bench-search", "SEARCH_IDENTITY_PUBLIC_KEY": public,
            "SEARCH_INDEX_DIR": str(run_dir / "index"), "SEARCH_LOG_LEVEL": "warning",
            "SEARCH_UNDERSTANDING": "true" if understanding else "false",
        }
        self._log = run_dir / "search.log"
        self._process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self._log.open("wb") as output:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "portal.cli", "serve", "search", "--port", str(self.port), env=self._env,
                cwd=REPO, stdout=output, stderr=asyncio.subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + READY_TIMEOUT
        async with httpx.AsyncClient(base_url=self.url, timeout=2.0) as client:
            while True:
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/readyz")).status_code == 200:
                        return
                if self._process.returncode is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the search service did not start:\n{self._log.read_text()[-3000:]}")
                await asyncio.sleep(0.2)

    def admin(self) -> dict[str, str]:
        return {IDENTITY_HEADER: self.signer.sign(Identity("bench", "admin"))}

    async def stop(self) -> None:
        if self._process is None or self._process.returncode is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self._process.wait(), 30)
        except TimeoutError:
            self._process.kill()
            await self._process.wait()


@contextlib.asynccontextmanager
async def running_search_service(understanding: bool = True) -> AsyncIterator[SearchProcess]:
    run_dir = Path(tempfile.mkdtemp(prefix="bench-search-"))
    process = SearchProcess(run_dir, understanding)
    try:
        await process.start()
        yield process
    finally:
        await process.stop()
        shutil.rmtree(run_dir, ignore_errors=True)


def _ok(response: httpx.Response) -> dict[str, Any]:
    if response.status_code not in (200, 201):
        raise RuntimeError(f"{response.request.method} {response.request.url.path}: {response.status_code} "
                           f"{response.text[:300]}")
    body: dict[str, Any] = response.json()
    return body


async def load_catalogue(client: httpx.AsyncClient, records: list[ServiceRecord], headers: Any) -> float:
    """Rebuild the index with these records through the admin API; seconds taken. `headers` is called
    for each request, since identities are short-lived."""
    started = time.perf_counter()
    build = _ok(await client.post(REBUILDS, headers=headers()))["build"]
    for start in range(0, len(records), BATCH):
        batch = [r.model_dump(mode="json") for r in records[start:start + BATCH]]
        _ok(await client.post(f"{REBUILDS}/{build}/services", json={"services": batch}, headers=headers()))
    _ok(await client.post(f"{REBUILDS}/{build}/complete", json={"expected": len(records)}, headers=headers()))
    return time.perf_counter() - started


async def measure_baseline() -> list[TierScore]:
    """The same tiers against the plain engine: the search service with query understanding off."""
    async with running_search_service(understanding=False) as search, \
            httpx.AsyncClient(base_url=search.url, timeout=30.0) as client:
        seeded = seeded_catalogue()
        await load_catalogue(client, seeded, search.admin)
        return await score_tiers(client, seeded, lambda records: load_catalogue(client, records, search.admin))


async def measure_endpoint(client: httpx.AsyncClient, label: str, path: str, requests: list[dict[str, Any]],
                           count: int = REQUESTS, concurrency: int = CONCURRENCY, warmup: int = WARMUP) -> Latency:
    """Latency one request at a time (so queueing does not count), then queries/s with `concurrency` in flight."""
    for params in _cycle(requests, warmup):
        _ok(await client.get(path, params=params))
    ms = []
    for params in _cycle(requests, count):
        started = time.perf_counter()
        _ok(await client.get(path, params=params))
        ms.append((time.perf_counter() - started) * 1000)
    pending = _cycle(requests, count)

    async def worker() -> None:
        for params in pending:
            _ok(await client.get(path, params=params))

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Latency(label, ms, count / (time.perf_counter() - started), concurrency)


async def measure_search(services: int = SERVICES, requests: int = REQUESTS,
                         concurrency: int = CONCURRENCY) -> SearchBench:
    """Relevance on the seeded catalogue, then latency and queries/s at `services` services, against the
    search service's own HTTP endpoint."""
    async with running_search_service() as search, httpx.AsyncClient(base_url=search.url, timeout=30.0) as client:
        seeded = seeded_catalogue()
        await load_catalogue(client, seeded, search.admin)
        relevance = await score_relevance(client)
        tiers = await score_tiers(client, seeded, lambda records: load_catalogue(client, records, search.admin))
        index_seconds = await load_catalogue(client, synthetic_catalogue(services), search.admin)
        latencies = [
            await measure_endpoint(client, f"GET {SEARCH}", SEARCH, search_requests(), requests, concurrency),
            await measure_endpoint(client, f"GET {SUGGEST}", SUGGEST, suggest_requests(), requests, concurrency),
            await measure_endpoint(client, "GET /healthz (baseline)", "/healthz", [{}], requests, concurrency),
        ]
    endpoint = f"the search service's own uvicorn process on 127.0.0.1:{search.port} (embedded engine)"
    return SearchBench(services, endpoint, index_seconds, relevance, latencies, tiers, await measure_baseline())


async def measure_search_through_gateway(gateway_url: str, services: int = SERVICES, requests: int = REQUESTS,
                                         concurrency: int = CONCURRENCY, admin_token: str | None = None) -> Latency:
    """Search latency and queries/s through a running portal's gateway, at `services` services.

    The portal's search index is rebuilt with the synthetic catalogue first (through the gateway's
    /api/v1/admin/search route, as an admin), so run it on a portal started for the bench; its index
    is restored from the catalogue with `portal search reindex`.
    """
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30.0) as gateway:
        token = admin_token or await dev_token(gateway)
        await load_catalogue(gateway, synthetic_catalogue(services), lambda: {"Authorization": f"Bearer {token}"})
        return await measure_endpoint(gateway, f"GET {SEARCH} through the gateway", SEARCH, search_requests(),
                                      requests, concurrency)


def _row(latency: Latency) -> list[str]:
    values = [percentile(latency.ms, p) for p in (50, 90, 99)] + [max(latency.ms)]
    return [latency.label, *(f"{v:.1f}" for v in values), f"{latency.qps:,.0f}"]


def search_report(result: SearchBench, through_gateway: Latency | None = None) -> str:
    latencies = [*result.latencies, *([through_gateway] if through_gateway else [])]
    relevance = result.relevance
    missed = "; ".join(f"{q!r} → {expected} (got {', '.join(found) or 'nothing'})"
                       for q, expected, found in relevance.missed) or "none"
    concurrency = result.latencies[0].concurrency
    return "\n".join([
        f"3. Search: {result.services:,} synthetic bilingual services, {len(result.latencies[0].ms):,} requests "
        f"each (one at a time for latency; {concurrency} in flight for queries/s), on {result.endpoint}",
        "",
        table(["ms", "p50", "p90", "p99", "max", f"queries/s ({concurrency} in flight)"],
              [_row(latency) for latency in latencies]),
        "",
        f"index built in {result.index_seconds:.1f} s through the admin rebuild API ({BATCH} services a request)",
        f"relevance ({relevance.queries} queries as citizens type them, seeded catalogue): "
        f"top-3 {relevance.hit3:.1%}, top-1 {relevance.hit1:.1%}; missed top 3: {missed}",
        f"search p99 = {result.search_p99:.1f} ms at {result.services:,} services, understanding on "
        f"({result.search_p99 / TARGET_P99_MS:.2f}× the {TARGET_P99_MS:.0f} ms target)",
        "",
        tiers_report(result.tiers, result.baseline),
    ])


def search_summary(result: SearchBench, through_gateway: Latency | None = None) -> str:
    search = result.latencies[0]
    line = (f"search at {result.services:,} services: p50 {percentile(search.ms, 50):.1f} ms, "
            f"p99 {result.search_p99:.1f} ms, {search.qps:,.0f} queries/s; relevance top-3 "
            f"{result.relevance.hit3:.1%}, top-1 {result.relevance.hit1:.1%} (n={result.relevance.queries}); "
            "understanding hit@3 " + ", ".join(f"{s.tier} {s.hit3:.0%}" for s in result.tiers))
    if through_gateway is not None:
        line += (f"; through the gateway p50 {percentile(through_gateway.ms, 50):.1f} ms, "
                 f"p99 {percentile(through_gateway.ms, 99):.1f} ms, {through_gateway.qps:,.0f} queries/s")
    return line


async def _main() -> None:
    result = await measure_search()
    print(search_report(result))
    print(search_summary(result))


if __name__ == "__main__":
    asyncio.run(_main())
