"""Ministries' status updates applied by the requests service: one transaction per update, or per batch waiting.

The requests service runs in this process (its FastAPI app and lifespan, SQLite, the in-memory bus); the bench
submits `requests` requests, then publishes each one's journey (received, in review, approved, completed: what the
simulated ministries send) on its ministry's queue at once, and times until every request is completed. Each run
consumes the queue one way or the other, both in the same process one after the other; with `load`, citizens
submit at that rate throughout (as the chaos tier's load does), contending for the same database.
"""

import asyncio
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import event, func, select

from bench.serving import served
from bench.stats import median, table
from services.requests.app import create_app
from services.requests.config import Settings
from services.requests.handlers import Deps, SubmitRequest, in_one_transaction, register_ministry, submit_request
from services.requests.store import requests
from shared.auth import Identity, generate_keypair
from shared.bus import Envelope
from shared.bus.dispatch import EventRouter
from shared.bus.topology import EVENTS, FROM_MINISTRIES, from_ministry, ministry_broker_user
from shared.contracts.base import Bilingual
from shared.contracts.catalog import FormField, ServicePublished, ServiceRecord
from shared.contracts.ministries import RequestStatusUpdated
from shared.logging import configure_logging
from shared.runtime import Runtime

JOURNEY = ("received", "in_review", "approved", "completed")
MINISTRY = "rop"
SERVICE = "bench-renew-licence"
DONE_TIMEOUT = 600.0


@dataclass
class Run:
    updates: int
    seconds: float
    cpu_seconds: float
    commits: int
    submitted_meanwhile: int

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds

    @property
    def cpu_ms_per_update(self) -> float:
        return self.cpu_seconds * 1000 / self.updates


@dataclass
class StatusUpdatesResult:
    requests: int
    load: float
    runs: dict[str, list[Run]] = field(default_factory=lambda: {"one by one": [], "in batches": []})


def _record() -> ServiceRecord:
    text = Bilingual(ar="تجديد الرخصة", en="Renew a licence")
    return ServiceRecord(slug=SERVICE, ministry=MINISTRY, ministry_name=Bilingual(ar="شرطة", en="Police"), version=1,
                         title=text, description=text, maturity="electronic", target_days=5,
                         form=[FormField(name="licence", kind="text", label=text, min_length=3)])


def _citizen(n: int) -> Identity:
    return Identity(subject=f"8{n:07d}", role="citizen", name="Bench", lang="en")


async def _submit(deps: Deps, n: int) -> str:
    submitted = await submit_request(SubmitRequest(SERVICE, {"licence": "L-1234"}, _citizen(n)), deps)
    return submitted.tracking_number


async def _submitting(deps: Deps, rate: float, stop: asyncio.Event, done: list[str]) -> None:
    started, n = time.monotonic(), 0
    pending: set[asyncio.Task[None]] = set()

    async def one(n: int) -> None:
        done.append(await _submit(deps, 100_000 + n))

    while not stop.is_set():
        await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
        task = asyncio.create_task(one(n))
        pending.add(task)
        task.add_done_callback(pending.discard)
        n += 1
    await asyncio.gather(*pending)


async def _completed(deps: Deps, numbers: list[str]) -> int:
    async with deps.uow(read_only=True) as uow:
        return int(await uow.connection.scalar(select(func.count()).select_from(requests).where(
            requests.c.tracking_number.in_(numbers), requests.c.status == "completed")) or 0)


async def _one_run(count: int, load: float, batched: bool) -> Run:
    with tempfile.TemporaryDirectory(prefix="bench-status-") as run_dir:
        settings = Settings(database_url=f"sqlite+aiosqlite:///{Path(run_dir) / 'requests.db'}",
                            amqp_url=f"memory://bench-status-{uuid.uuid4().hex[:8]}", log_level="warning",
                            identity_public_key=generate_keypair()[1], catalog_url="http://127.0.0.1:9",
                            consume_ministries=False, renewal_scan_seconds=0.0, dead_letter_desk=False)
        app = create_app(settings)
        async with served(app, startup_timeout=60, shutdown_timeout=60):
            deps: Deps = app.state.deps
            runtime: Runtime = app.state.runtime
            bus = runtime.bus
            await bus.publish(Envelope(type=ServicePublished.TYPE, source="/catalog",
                                       data=ServicePublished(service=_record()).model_dump(mode="json")),
                              EVENTS, "catalog.service.published")
            while True:
                async with deps.uow(read_only=True) as uow:
                    if await uow.catalogue.get(SERVICE) is not None:
                        break
                await asyncio.sleep(0.02)
            numbers = [await _submit(deps, n) for n in range(count)]
            router = EventRouter(deps)
            register_ministry(router)
            queue = from_ministry(MINISTRY)
            await bus.declare([queue])
            if batched:
                await runtime.consume_in_batches(queue, router.in_batches(in_one_transaction))
            else:
                await runtime.consume(queue, router)
            commits: list[None] = []
            event.listen(runtime.engine.sync_engine, "commit", lambda _: commits.append(None))
            stop, submitted = asyncio.Event(), list[str]()
            loading = asyncio.create_task(_submitting(deps, load, stop, submitted)) if load else None
            sender = ministry_broker_user(MINISTRY, bus.vhost)
            started, cpu = time.perf_counter(), time.process_time()
            for status in JOURNEY:
                for number in numbers:
                    update = RequestStatusUpdated(tracking_number=number, status=status,
                                                  occurred_at=deps.clock())
                    await bus.publish(Envelope(type=RequestStatusUpdated.TYPE, source=f"/ministries/{MINISTRY}",
                                               subject=number, data=update.model_dump(mode="json")),
                                      FROM_MINISTRIES, f"{MINISTRY}.request.status_updated", user_id=sender)
            while await _completed(deps, numbers) < count:
                if time.perf_counter() - started > DONE_TIMEOUT:
                    raise TimeoutError(f"not every request was completed within {DONE_TIMEOUT:.0f} s")
                await asyncio.sleep(0.05)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            stop.set()
            if loading is not None:
                await loading
    return Run(count * len(JOURNEY), seconds, cpu, len(commits), len(submitted))


async def measure_status_updates(requests: int = 100, load: float = 0.0, repeats: int = 3) -> StatusUpdatesResult:
    """`repeats` rounds, each a one-by-one run then a batched one, each on a fresh database."""
    result = StatusUpdatesResult(requests, load)
    for _ in range(repeats):
        result.runs["one by one"].append(await _one_run(requests, load, batched=False))
        result.runs["in batches"].append(await _one_run(requests, load, batched=True))
    return result


def status_updates_report(result: StatusUpdatesResult) -> str:
    rows = [[way, f"{median([r.per_second for r in runs]):,.1f}",
             " / ".join(f"{r.per_second:,.1f}" for r in runs),
             f"{median([r.cpu_ms_per_update for r in runs]):.2f}",
             f"{median([r.commits / r.updates for r in runs]):.2f}",
             f"{median([r.submitted_meanwhile / r.seconds for r in runs]):.1f}"]
            for way, runs in result.runs.items()]
    one, batched = (median([r.per_second for r in result.runs[way]]) for way in ("one by one", "in batches"))
    return "\n".join([
        f"Status updates: {result.requests} requests × {len(JOURNEY)} updates published at once, in-process requests "
        f"service on SQLite and the in-memory bus, {result.load:g} submissions/s meanwhile",
        "",
        table(["consumed", "updates/s (median)", "each run", "CPU ms/update", "commits/update", "submitted/s"],
              rows),
        "",
        f"in batches / one by one = {batched / one:.2f}×",
    ])


if __name__ == "__main__":
    import sys

    configure_logging("bench", "warning")
    print(status_updates_report(asyncio.run(measure_status_updates(
        int(sys.argv[1]) if len(sys.argv) > 1 else 100, float(sys.argv[2]) if len(sys.argv) > 2 else 0.0,
        int(sys.argv[3]) if len(sys.argv) > 3 else 3))))
