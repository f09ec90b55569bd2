"""Where the CPU goes on the submission path: `python -m bench.profile`.

Starts `portal up` (ports from BENCH_BASE_PORT; its stores on SQLite, or with --postgresql on fresh PostgreSQL
databases dropped after), onboards a ministry with the probe service, then submits requests through the gateway from
CONCURRENCY citizens' connections for SECONDS while py-spy samples the gateway, requests, notifications and search
processes. Prints submissions/s and p99 beside the gateway's /healthz rate in the same run; how long the portal's
queues took to empty after the load; the CPU time each part of the machine (the portal's processes, RabbitMQ,
PostgreSQL and this load generator) spent per submission, backlogs included, beside the gateway's per /healthz (a
ratio a loaded machine hardly moves); and for each sampled process how busy it was (the share of samples holding the
GIL: waits in epoll, a C event loop or a thread's queue are not CPU, and neither is work in threads that release it,
such as tantivy's), its top functions by own CPU share (the leaf frame of each busy sample), and the portal's own
functions by inclusive share (each busy sample counted once for every services/shared frame on its stack), which
says what a cost is paid for.
"""

import asyncio
import collections
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.cpu import CpuReading, ms_per_unit
from bench.e2e import citizen_headers, drained, publish_probe_service, running_portal, submit, wait_submittable
from bench.postgres import fresh_databases
from bench.settings import BenchSettings
from bench.stats import percentile
from portal.onboarding import dev_token, onboard_ministry
from portal.up import BACKENDS

SECONDS = 25
CONCURRENCY = 16
RATE = 50
OWN_CODE = ("services/", "shared/")
PROFILED = ("gateway", "requests", "notifications", "search")


def listening_pid(port: int) -> int:
    out = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True, check=True).stdout
    return int(out.split("pid=")[1].split(",")[0])


@dataclass(frozen=True)
class Profile:
    samples: int
    own: list[tuple[str, float]]
    inclusive: list[tuple[str, float]]


def top_functions(raw: Path, count: int = 12) -> Profile:
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    for line in raw.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        frames = stack.split(";")
        own[frames[-1]] += int(samples)
        for frame in {f for f in frames if f.split("(")[-1].startswith(OWN_CODE)}:
            inclusive[frame] += int(samples)
    total = sum(own.values()) or 1
    return Profile(sum(own.values()), [(frame, n / total) for frame, n in own.most_common(count)],
                   [(frame, n / total) for frame, n in inclusive.most_common(count)])


async def run(settings: BenchSettings, out: Path, database_url: str | None = None) -> None:
    async with (running_portal(settings, database_url) as portal,
                httpx.AsyncClient(base_url=portal.gateway_url, timeout=30) as gateway):
        credentials = await onboard_ministry(gateway, await dev_token(gateway), f"prof{uuid.uuid4().hex[:6]}",
                                             {"ar": "وزارة القياس", "en": "Profiling"}, portal.admin)
        await publish_probe_service(gateway, credentials)
        citizen = await citizen_headers(gateway)
        await wait_submittable(gateway, citizen)
        ports = {"gateway": settings.base_port} | {name: settings.base_port + 1 + BACKENDS.index(name)
                                                   for name in BACKENDS}
        pids = {name: listening_pid(port) for name, port in ports.items()}
        py_spy = sys.executable.replace("python", "py-spy")
        # py-spy samples beside the load for SECONDS and is waited for afterwards: nothing blocks meanwhile.
        spies = [subprocess.Popen([py_spy, "record", "--nonblocking", "--gil", "--function",  # noqa: ASYNC220
                                   "-r", str(RATE), "-d", str(SECONDS), "-f", "raw", "-o", str(out / f"{name}.txt"),
                                   "-p", str(pids[name])],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for name in PROFILED]
        ms: list[float] = []
        health = 0
        stop = time.monotonic() + SECONDS

        async def submitter() -> None:
            while time.monotonic() < stop:
                started = time.perf_counter()
                response = await submit(gateway, citizen)
                if response.status_code != 201:
                    raise RuntimeError(f"submitting failed: {response.status_code} {response.text[:300]}")
                ms.append((time.perf_counter() - started) * 1000)

        async def prober(until: float) -> None:
            nonlocal health
            while time.monotonic() < until:
                (await gateway.get("/healthz")).raise_for_status()
                health += 1

        cpu_before = CpuReading.now(portal.pid)
        started = time.monotonic()
        await asyncio.gather(*(submitter() for _ in range(CONCURRENCY)))
        rate = len(ms) / (time.monotonic() - started)
        # Everything the submissions set off, the relay and consumers included, finishes before the CPU is read: a
        # consumer that fell behind (search did) would otherwise leave the cost of its backlog out.
        behind = await drained(settings, portal.admin.vhost)
        await asyncio.sleep(2)
        probing = CpuReading.now(portal.pid)
        cpu_ms = ms_per_unit(cpu_before.spent(probing), len(ms))
        await asyncio.gather(*(prober(time.monotonic() + 5) for _ in range(CONCURRENCY)))
        health_rate = health / 5
        health_cpu_ms = ms_per_unit(probing.spent(CpuReading.now(portal.pid)), health)
        for spy in spies:
            spy.wait(timeout=120)
    print(f"submissions through the gateway: {rate:.0f}/s, p50 {percentile(ms, 50):.0f} ms, "
          f"p99 {percentile(ms, 99):.0f} ms ({CONCURRENCY} in flight); gateway /healthz {health_rate:.0f}/s; "
          f"ratio {rate / health_rate:.2f}×")
    print(f"the portal's queues were empty within {behind:.1f} s of the last submission")
    print(f"CPU per submission: {', '.join(f'{name} {ms:.1f} ms' for name, ms in cpu_ms.items())}; total "
          f"{sum(cpu_ms.values()):.1f} ms against {health_cpu_ms['gateway']:.2f} ms of the gateway's per /healthz "
          f"(ratio {health_cpu_ms['gateway'] / sum(cpu_ms.values()):.2f}×; all parts per /healthz "
          f"{sum(health_cpu_ms.values()):.2f} ms)")
    for name in PROFILED:
        profile = top_functions(out / f"{name}.txt")
        print(f"--- {name}: busy {profile.samples / (RATE * SECONDS):.0%} of the time ({profile.samples} samples "
              f"holding the GIL); top functions by own CPU share")
        print("\n".join(f"{share * 100:5.1f}%  {frame}" for frame, share in profile.own))
        print(f"--- {name}: the portal's own functions by inclusive CPU share")
        print("\n".join(f"{share * 100:5.1f}%  {frame}" for frame, share in profile.inclusive))


async def main(target: Path, postgresql: bool) -> None:
    settings = BenchSettings.from_env()
    if not postgresql:
        await run(settings, target)
        return
    async with fresh_databases(settings) as database_url:
        await run(settings, target, database_url)


if __name__ == "__main__":
    # `python -m bench.profile [directory] [--postgresql]`: the portal's stores on SQLite unless asked.
    args = [arg for arg in sys.argv[1:] if arg != "--postgresql"]
    target = Path(args[0] if args else "bench-profile")
    target.mkdir(parents=True, exist_ok=True)
    asyncio.run(main(target, "--postgresql" in sys.argv[1:]))
