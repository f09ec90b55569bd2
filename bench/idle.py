"""Idle memory per service: the resident set (VmRSS) of each process of `portal up` after it has sat idle, and of
the search service holding the 10,000-service index; beside the floor every service shares (an interpreter that
has imported the web stack and nothing of the portal), read the same way in the same run.

Targets: under 120 MB each, the search service under 250 MB with the 10,000-service index.
"""

import asyncio
import contextlib
import os
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx

from bench.e2e import ensure_ports_free
from bench.search import SERVICES, load_catalogue, running_search_service, synthetic_catalogue
from bench.settings import REPO, BenchSettings
from bench.stats import table
from portal.up import SERVICES as PORTAL_SERVICES
from portal.up import UpConfig, identity_keys, migrated_first, service_env

IDLE_SECONDS = 10.0
LIMIT_MB = 120.0
SEARCH_LIMIT_MB = 250.0
FLOOR = "import fastapi, uvicorn, sqlalchemy, pydantic, httpx, structlog, sys; print(flush=True); sys.stdin.read()"


@dataclass
class Resident:
    label: str
    mb: float
    limit_mb: float | None


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def serving(service: str, port: int) -> int:
    """The process running `portal.cli serve <service> --port <port>` (ports are this run's own)."""
    wanted = ["-m", "portal.cli", "serve", service, "--port", str(port)]
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            arguments = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if any(arguments[i:i + len(wanted)] == wanted for i in range(len(arguments))):
            return int(entry.name)
    raise RuntimeError(f"no process serves {service} on port {port}")


async def floor_mb() -> float:
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", FLOOR, cwd=REPO,
                                                   stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    try:
        # Read once its imports are done: on a loaded machine they took longer than the idle wait itself, and the
        # baseline was read half-imported (42 MB where the same imports hold 68).
        assert process.stdout is not None
        await process.stdout.readline()
        await asyncio.sleep(IDLE_SECONDS / 2)
        return rss_mb(process.pid)
    finally:
        assert process.stdin is not None
        process.stdin.close()
        await process.wait()


@contextlib.asynccontextmanager
async def serving_all(settings: BenchSettings, run_dir: Path) -> AsyncIterator[UpConfig]:
    """Each service as `portal up` starts it (migrated first, then `portal.cli serve`, its environment, SQLite), on
    the in-memory bus (nothing to consume while idle; RabbitMQ's client library is then not loaded)."""
    config = replace(UpConfig.from_env(), base_port=settings.base_port, run_dir=run_dir, log_level="warning")
    env = os.environ | await migrated_first(service_env(config, "memory://bench-idle", identity_keys(run_dir)))
    processes = []
    try:
        for service in PORTAL_SERVICES:
            processes.append(await asyncio.create_subprocess_exec(
                sys.executable, "-m", "portal.cli", "serve", service, "--port", str(config.port(service)), env=env,
                cwd=REPO, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
                start_new_session=True))
        await answering([config.url(s) for s in PORTAL_SERVICES])
        yield config
    finally:
        for process in processes:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()


async def answering(urls: list[str], within: float = 300.0) -> None:
    """Each service's /healthz answers (its app has started; readiness would also ask for a broker)."""
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(timeout=5.0) as client:
        for url in urls:
            while True:
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get(f"{url}/healthz")).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{url} did not start within {within:.0f} s")
                await asyncio.sleep(0.5)


async def measure_idle(settings: BenchSettings) -> list[Resident]:
    found = [Resident("interpreter + FastAPI, uvicorn, SQLAlchemy (baseline)", await floor_mb(), None)]
    with tempfile.TemporaryDirectory(prefix="bench-idle-") as run_dir:
        ensure_ports_free(settings.base_port)
        async with serving_all(settings, Path(run_dir)) as config:
            await asyncio.sleep(IDLE_SECONDS)
            for service in PORTAL_SERVICES:
                found.append(Resident(f"{service} (idle)", rss_mb(serving(service, config.port(service))), LIMIT_MB))
    async with running_search_service() as search, httpx.AsyncClient(base_url=search.url, timeout=60.0) as client:
        await load_catalogue(client, synthetic_catalogue(SERVICES), search.admin)
        await asyncio.sleep(IDLE_SECONDS)
        found.append(Resident(f"search, {SERVICES:,}-service index (idle)",
                              rss_mb(serving("search", search.port)), SEARCH_LIMIT_MB))
    return found


def idle_report(found: list[Resident]) -> str:
    def verdict(r: Resident) -> str:
        return "" if r.limit_mb is None else ("met" if r.mb < r.limit_mb else "NOT met")

    return "\n".join([
        f"Idle memory: VmRSS of each service's process after {IDLE_SECONDS:.0f} s idle (as `portal up` starts them, "
        "SQLite, in-memory bus), "
        "and of the search service with its index loaded",
        table(["process", "RSS MB", "target MB", ""],
              [[r.label, f"{r.mb:.1f}", "" if r.limit_mb is None else f"< {r.limit_mb:.0f}", verdict(r)]
               for r in found]),
    ])


def idle_summary(found: list[Resident]) -> str:
    def name(r: Resident) -> str:
        return r.label.split(" (")[0]

    over = [name(r) for r in found if r.limit_mb is not None and r.mb >= r.limit_mb]
    figures = ", ".join(f"{name(r)} {r.mb:.0f}" for r in found[1:])
    return f"idle RSS MB: {figures} (baseline {found[0].mb:.0f}); " + (
        f"over target: {', '.join(over)}" if over else "all under target")


async def main() -> None:
    print(idle_report(await measure_idle(BenchSettings.from_env())))


if __name__ == "__main__":
    asyncio.run(main())
