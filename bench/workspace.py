"""The ministry workspace's request queue at 100,000 requests: the page through the gateway, p99 < 100 ms.

`portal up` runs on its own ports, vhost and run directory; 100,000 requests of one ministry (mosd, handled
in the workspace) are bulk-inserted straight into the requests service's SQLite store. The officer's queue
page (HTML, through the gateway: sign-in cookie, the requests API, the catalogue's titles, rendering) is read
one request after the other on a keep-alive connection, next to its baselines in the same run: the requests
API alone, directly and through the gateway.
"""

import asyncio
import contextlib
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.e2e import PortalProcess, ensure_ports_free
from bench.settings import BenchSettings
from bench.stats import median, percentile, table
from portal.up import BACKENDS
from shared.auth import IDENTITY_HEADER, Identity, IdentitySigner
from shared.bus.admin import BrokerAdmin
from shared.contracts.tracking import format_tracking_number
from shared.db import engine_for

ROWS = 100_000
MINISTRY = "mosd"
SERVICES = ("issue-disability-card", "license-private-nursery", "register-civil-association",
            "book-family-counselling-session")
# Mostly open work, as a busy ministry's store holds: the queue's counts and filters meet every status.
STATUSES = (("submitted", 30), ("received", 10), ("in_review", 25), ("action_required", 10), ("approved", 5),
            ("rejected", 5), ("completed", 12), ("cancelled", 3))
OFFICERS = (("90000101", "Salma Al-Harthy"), ("90000103", "Khalid Al-Balushi"))
DECIDED = frozenset({"approved", "rejected", "completed"})
OFFICER = {"national_id": "90000101", "name": "Salma Al-Harthy", "role": "officer", "ministry": MINISTRY}
READS = 200
WARMUP = 10
BASELINE_ROWS = 1_000
BATCH = 5_000
TARGET_P99_MS = 100.0


@dataclass
class Timing:
    label: str
    ms: list[float]


@dataclass
class WorkspaceBench:
    rows: int
    insert_seconds: float
    timings: list[Timing]

    @property
    def queue_p99(self) -> float:
        return percentile(self.timings[0].ms, 99)


def synthetic_requests(count: int, now: datetime, seed: int = 20261123) -> list[dict[str, Any]]:
    """`count` requests of the ministry, due dates spread over four months around now; the same every run."""
    rng = random.Random(seed)
    statuses = [s for s, weight in STATUSES for _ in range(weight)]
    rows = []
    for n in range(1, count + 1):
        submitted = now - timedelta(minutes=rng.randrange(60 * 24 * 90))
        status = statuses[rng.randrange(len(statuses))]
        officer = OFFICERS[rng.randrange(len(OFFICERS))] if rng.random() < 0.3 else (None, None)
        decided = submitted + timedelta(hours=rng.randrange(1, 200)) if status in DECIDED else None
        rows.append({
            "tracking_number": format_tracking_number(MINISTRY, now.year, n), "service": SERVICES[n % len(SERVICES)],
            "service_version": 1, "ministry": MINISTRY, "citizen": f"{70000000 + n % 900000:08d}",
            "citizen_name": None, "lang": "ar", "status": status, "assignee": officer[0],
            "assignee_name": officer[1], "decided_at": decided,
            "completed_at": decided + timedelta(hours=2) if decided and status == "completed" else None,
            "fields": {"phone": "91234567"}, "submitted_at": submitted, "updated_at": submitted,
            "due_on": submitted + timedelta(days=10 + rng.randrange(30)),
        })
    return rows


async def bulk_insert(database: Path, rows: Sequence[dict[str, Any]], last_sequence: int) -> float:
    """Straight into the requests store's table (its own definition, so new columns keep their defaults)."""
    from services.requests.store import requests as table
    from services.requests.store import sequences

    started = time.perf_counter()
    engine = engine_for(f"sqlite+aiosqlite:///{database}")
    try:
        async with engine.begin() as connection:
            for start in range(0, len(rows), BATCH):
                await connection.execute(table.insert(), list(rows[start:start + BATCH]))
            if last_sequence:
                # Requests submitted later get numbers after the inserted ones.
                await connection.execute(sequences.insert(), [{"ministry": MINISTRY, "year": datetime.now(UTC).year,
                                                               "last": last_sequence}])
    finally:
        await engine.dispose()
    return time.perf_counter() - started


async def _timed(read: Callable[[], Any]) -> float:
    started = time.perf_counter()
    response: httpx.Response = await read()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{response.request.url} answered {response.status_code}: {response.text[:300]}")
    return elapsed


async def _measure(reads: dict[str, Callable[[], Any]], count: int) -> list[Timing]:
    timings = {label: Timing(label, []) for label in reads}
    for _ in range(WARMUP):
        for read in reads.values():
            await _timed(read)
    for _ in range(count):  # alternated, so each sees the same machine at the same moment
        for label, read in reads.items():
            timings[label].ms.append(await _timed(read))
    return list(timings.values())


@contextlib.asynccontextmanager
async def running_portal_in(settings: BenchSettings, run_dir: Path) -> AsyncIterator[str]:
    ensure_ports_free(settings.base_port)
    vhost = f"bench-workspace-{uuid.uuid4().hex[:8]}"
    admin = BrokerAdmin(settings.management_url, "guest", "guest", vhost)
    process = PortalProcess(settings, settings.amqp_url(vhost), run_dir)
    try:
        await process.start()
        yield f"http://127.0.0.1:{settings.base_port}"
    except BaseException:
        print(f"--- portal output (tail) ---\n{process.tail()}", file=sys.stderr)
        raise
    finally:
        await process.stop()
        await admin.delete_vhost()
        await admin.close()


async def measure_workspace(settings: BenchSettings, rows: int = ROWS, reads: int | None = None
                            ) -> WorkspaceBench:
    """The same reads with 1,000 requests in the store (the baseline), then with `rows`."""
    reads = reads or int(os.environ.get("BENCH_WORKSPACE_READS", str(READS)))
    run_dir = Path(tempfile.mkdtemp(prefix="bench-workspace-"))
    requests_port = settings.base_port + 1 + BACKENDS.index("requests")
    generated = synthetic_requests(rows, datetime.now(UTC))
    database = run_dir / "data" / "requests.db"
    try:
        async with running_portal_in(settings, run_dir) as gateway_url:
            signer = IdentitySigner((run_dir / "keys" / "identity.pem").read_text())
            async with (httpx.AsyncClient(base_url=gateway_url, timeout=60) as gateway,
                        httpx.AsyncClient(base_url=f"http://127.0.0.1:{requests_port}", timeout=60) as direct):
                token = (await gateway.post("/api/v1/auth/dev-token", json=OFFICER)).json()["access_token"]
                bearer = {"Authorization": f"Bearer {token}"}
                gateway.cookies.set("portal_staff", token)
                officer = Identity(OFFICER["national_id"], "officer", MINISTRY, OFFICER["name"])
                queue = "/api/v1/ministry/requests"

                def page() -> Any:
                    return gateway.get("/workspace/")

                def api() -> Any:
                    return direct.get(queue, headers={IDENTITY_HEADER: signer.sign(officer)})

                await bulk_insert(database, generated[:BASELINE_ROWS], 0)
                baseline = await _measure({f"queue page, {BASELINE_ROWS:,} requests (baseline)": page,
                                           f"GET {queue} direct, {BASELINE_ROWS:,} requests": api}, reads)
                seconds = await bulk_insert(database, generated[BASELINE_ROWS:], len(generated))
                loaded = await _measure({
                    f"queue page /workspace/, {rows:,} requests": page,
                    "  in review + overdue, page 3": lambda: gateway.get(
                        "/workspace/", params={"status": "in_review", "overdue": "1", "page": "3"}),
                    f"GET {queue} through the gateway": lambda: gateway.get(queue, headers=bearer),
                    f"GET {queue} direct": api,
                }, reads)
        return WorkspaceBench(rows, seconds, loaded + baseline)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def workspace_report(result: WorkspaceBench) -> str:
    def row(timing: Timing) -> list[str]:
        return [timing.label, f"{median(timing.ms):.1f}", f"{percentile(timing.ms, 95):.1f}",
                f"{percentile(timing.ms, 99):.1f}", f"{max(timing.ms):.1f}"]

    verdict = "meets" if result.queue_p99 < TARGET_P99_MS else "MISSES"
    return "\n".join([
        f"Ministry workspace: the officer's queue with {result.rows:,} requests in the requests store "
        f"(bulk-inserted in {result.insert_seconds:.1f} s), {len(result.timings[0].ms)} reads each, alternated, "
        f"keep-alive; baseline: the same reads with {BASELINE_ROWS:,} requests, same run",
        table(["", "median ms", "p95 ms", "p99 ms", "max ms"], [row(t) for t in result.timings]),
        f"queue page p99 {result.queue_p99:.1f} ms: {verdict} the {TARGET_P99_MS:.0f} ms target",
    ])


async def main() -> None:
    result = await measure_workspace(BenchSettings.from_env())
    print(workspace_report(result))


if __name__ == "__main__":
    asyncio.run(main())
