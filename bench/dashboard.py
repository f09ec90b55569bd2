"""The citizen dashboard as the store grows: its reads of the requests service at 10,000 and at 1,000,000 requests.

The gateway's dashboard asks the requests service four things for the signed-in citizen: their requests ("my
requests", newest first), their renewal offers, their documents and the learned suggestions. Here the requests
service's app runs in this process (SQLite, the in-memory bus) over a store bulk-loaded with 10,000 requests of
200,000 citizens, one of whom has a typical history (eight requests over two years, some open, some done), and a
second app over a store grown from the same 10,000 to 1,000,000 (raw inserts, the same generator). The four reads
are timed one after the other for that citizen, READS times on each store, the two stores taking turns (as the bus
bench's sides do): one stall of this shared machine then weighs on both, where timing one store's reads and then the
other's, 200 each, once read 1.50x from reads that gave 0.82x and 1.14x in the next two runs. Target: p99 at
1,000,000 at most 1.5x the p99 at 10,000.
"""

import asyncio
import json
import os
import random
import sqlite3
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI

from bench.serving import served
from bench.stats import percentile, table
from services.requests.app import create_app
from services.requests.config import Settings
from services.requests.store import MIGRATIONS
from shared.auth import IDENTITY_HEADER, Identity, IdentitySigner, generate_keypair
from shared.contracts.tracking import format_tracking_number
from shared.db.migrate import upgrade

SMALL = 10_000
LARGE = int(os.environ.get("BENCH_DASHBOARD_REQUESTS", "1000000"))
CITIZENS = 200_000
CITIZEN = "91234567"
READS = 1000
WARMUP = 10
TARGET_RATIO = 1.5
BATCH = 50_000
READS_OF = ("/api/v1/requests", "/api/v1/me/offers", "/api/v1/me/documents", "/api/v1/me/suggestions")
SERVICES = (("renew-passport", "rop"), ("renew-driving-licence", "rop"), ("birth-certificate", "moh"),
            ("issue-disability-card", "mosd"), ("commercial-registration", "moci"), ("building-permit", "mm"))
STATUSES = ("submitted", "received", "in_review", "action_required", "approved", "rejected", "completed",
            "completed", "completed", "cancelled")
COLUMNS = ("tracking_number", "service", "service_version", "ministry", "citizen", "citizen_name", "lang", "status",
           "fields", "submitted_at", "updated_at", "due_on", "assignee", "assignee_name", "decided_at",
           "completed_at")
FIELDS = json.dumps({"phone": "+96891234567"})


def _at(moment: datetime) -> str:
    """As the store keeps an aware UTC time on SQLite."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _row(tracking_number: str, citizen: str, rng: random.Random, now: datetime) -> tuple[object, ...]:
    service, ministry = SERVICES[rng.randrange(len(SERVICES))]
    submitted = now - timedelta(minutes=rng.randrange(60 * 24 * 730))
    status = STATUSES[rng.randrange(len(STATUSES))]
    decided = submitted + timedelta(hours=rng.randrange(1, 300)) if status in (
        "approved", "rejected", "completed") else None
    completed = decided + timedelta(hours=2) if decided and status == "completed" else None
    return (tracking_number, service, 1, ministry, citizen, None, "ar", status, FIELDS, _at(submitted),
            _at(completed or decided or submitted), _at(submitted + timedelta(days=15)), None, None,
            _at(decided) if decided else None, _at(completed) if completed else None)


def insert(path: Path, first: int, count: int, now: datetime, seed: int) -> float:
    """Requests `first` .. `first + count - 1` of the generator; the citizen's own are among the first 10,000."""
    rng = random.Random(seed)
    started = time.perf_counter()
    statement = f"INSERT INTO requests ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA synchronous = OFF")  # a bench load, not a citizen's submission
        # The table's indexes are built again after the load: one sorted pass each, not a random insert per row.
        indexes = [sql for (sql,) in connection.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'requests' AND sql IS NOT NULL")]
        for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND "
                                          "tbl_name = 'requests' AND sql IS NOT NULL").fetchall():
            connection.execute(f'DROP INDEX "{name}"')
        for start in range(first, first + count, BATCH):
            rows = []
            for n in range(start, min(start + BATCH, first + count)):
                if n % (SMALL // 8) == 0 and n < SMALL:
                    rows.append(_row(format_tracking_number("rop", 2026, n + 1), CITIZEN, rng, now))
                else:
                    citizen = f"{70_000_000 + rng.randrange(CITIZENS):08d}"
                    rows.append(_row(f"BENCH-{n:07d}", citizen, rng, now))
            connection.executemany(statement, rows)
        for sql in indexes:
            connection.execute(sql)
    return time.perf_counter() - started


@dataclass
class DashboardBench:
    small_ms: list[float]
    large_ms: list[float]
    small_mine_ms: list[float]
    large_mine_ms: list[float]
    grow_seconds: float

    @property
    def ratio(self) -> float:
        return percentile(self.large_ms, 99) / percentile(self.small_ms, 99)


async def _read(client: httpx.AsyncClient, headers: dict[str, str]) -> tuple[float, float]:
    """The four reads' time and the first's ("my requests"), in ms."""
    started = time.perf_counter()
    first = 0.0
    for path in READS_OF:
        response = await client.get(path, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}: {response.text[:300]}")
        if path == READS_OF[0]:
            first = (time.perf_counter() - started) * 1000
    return (time.perf_counter() - started) * 1000, first


async def _store(directory: Path, name: str, now: datetime) -> Path:
    path = directory / f"{name}.db"
    await upgrade(MIGRATIONS, f"sqlite+aiosqlite:///{path}")
    insert(path, 0, SMALL, now, seed=1)
    return path


def _app(path: Path, public_key: str) -> FastAPI:
    return create_app(Settings(database_url=f"sqlite+aiosqlite:///{path}", amqp_url=f"memory://bench-{uuid.uuid4()}",
                               identity_public_key=public_key, catalog_url="http://127.0.0.1:9",
                               # The periodic jobs (stall watch, renewal scan, retraining) stay off: only the reads
                               # count.
                               watch_seconds=0.0, renewal_scan_seconds=0.0, insights_retrain_seconds=0.0,
                               log_level="warning"))


async def measure_dashboard() -> DashboardBench:
    now = datetime.now(UTC)
    private, public = generate_keypair()
    signer = IdentitySigner(private)
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as directory:
        small_path = await _store(Path(directory), "small", now)
        large_path = await _store(Path(directory), "large", now)
        grow = await asyncio.to_thread(insert, large_path, SMALL, LARGE - SMALL, now, 2)
        small_app, large_app = _app(small_path, public), _app(large_path, public)
        async with (served(small_app, startup_timeout=60, shutdown_timeout=30),
                    served(large_app, startup_timeout=60, shutdown_timeout=30),
                    httpx.AsyncClient(transport=httpx.ASGITransport(app=small_app), base_url="http://bench",
                                      timeout=30) as small,
                    httpx.AsyncClient(transport=httpx.ASGITransport(app=large_app), base_url="http://bench",
                                      timeout=30) as large):
            times: dict[httpx.AsyncClient, tuple[list[float], list[float]]] = {small: ([], []), large: ([], [])}
            for n in range(WARMUP + READS):
                headers = {IDENTITY_HEADER: signer.sign(Identity(subject=CITIZEN, role="citizen"))}
                for client in (small, large) if n % 2 == 0 else (large, small):
                    whole, mine = await _read(client, headers)
                    if n >= WARMUP:
                        times[client][0].append(whole)
                        times[client][1].append(mine)
    return DashboardBench(times[small][0], times[large][0], times[small][1], times[large][1], grow)


def dashboard_report(result: DashboardBench) -> str:
    def row(label: str, values: list[float]) -> list[str]:
        return [label, *(f"{percentile(values, p):.1f}" for p in (50, 90, 99)), f"{max(values):.1f}"]

    verdict = "met" if result.ratio <= TARGET_RATIO else "NOT met"
    return "\n".join([
        f"Citizen dashboard (the requests service's four reads for one citizen with eight requests), its app in this "
        f"process on SQLite; {READS} reads at {SMALL:,} requests and {READS} at {LARGE:,} (a store grown in "
        f"{result.grow_seconds:.0f} s), the two stores' apps taking turns",
        table(["ms", "p50", "p90", "p99", "max"], [
            row(f"dashboard reads, {SMALL:,} requests (baseline)", result.small_ms),
            row(f"dashboard reads, {LARGE:,} requests", result.large_ms),
            row(f"  my requests, {SMALL:,}", result.small_mine_ms),
            row(f"  my requests, {LARGE:,}", result.large_mine_ms)]),
        f"dashboard p99 at {LARGE:,} = {result.ratio:.2f}x its p99 at {SMALL:,} (target <= {TARGET_RATIO}x: "
        f"{verdict})",
    ])


async def main() -> None:
    print(dashboard_report(await measure_dashboard()))


if __name__ == "__main__":
    asyncio.run(main())
