"""Where the CPU goes on the submission path: `python -m bench.profile`.

Starts `portal up` (ports from BENCH_BASE_PORT), onboards a ministry with the probe service, then submits
requests through the gateway from CONCURRENCY citizens' connections for SECONDS while py-spy samples the gateway,
requests and notifications processes; prints submissions/s and p99 beside the gateway's /healthz rate in the same
run, and each process's top functions by own CPU share (the leaf frame of each sample).
"""

import asyncio
import collections
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from bench.e2e import citizen_headers, publish_probe_service, running_portal, submit, wait_submittable
from bench.settings import BenchSettings
from bench.stats import percentile
from portal.onboarding import dev_token, onboard_ministry
from portal.up import BACKENDS

SECONDS = 25
CONCURRENCY = 16
PROFILED = ("gateway", "requests", "notifications")


def listening_pid(port: int) -> int:
    out = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True, check=True).stdout
    return int(out.split("pid=")[1].split(",")[0])


def top_functions(raw: Path, count: int = 12) -> tuple[int, list[tuple[str, float]]]:
    own: collections.Counter[str] = collections.Counter()
    for line in raw.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        own[stack.split(";")[-1]] += int(samples)
    total = sum(own.values())
    return total, [(frame, n / total) for frame, n in own.most_common(count)]


async def run(settings: BenchSettings, out: Path) -> None:
    async with (running_portal(settings) as portal,
                httpx.AsyncClient(base_url=portal.gateway_url, timeout=30) as gateway):
        credentials = await onboard_ministry(gateway, await dev_token(gateway), f"prof{uuid.uuid4().hex[:6]}",
                                             {"ar": "وزارة القياس", "en": "Profiling"}, portal.admin)
        await publish_probe_service(gateway, credentials)
        citizen = await citizen_headers(gateway)
        await wait_submittable(gateway, citizen)
        ports = {"gateway": settings.base_port} | {name: settings.base_port + 1 + BACKENDS.index(name)
                                                   for name in PROFILED[1:]}
        py_spy = sys.executable.replace("python", "py-spy")
        # py-spy samples beside the load for SECONDS and is waited for afterwards: nothing blocks meanwhile.
        spies = [subprocess.Popen([py_spy, "record", "--nonblocking", "-r", "50",  # noqa: ASYNC220
                                   "-d", str(SECONDS), "-f", "raw", "-o", str(out / f"{name}.txt"),
                                   "-p", str(listening_pid(port))],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for name, port in ports.items()]
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

        started = time.monotonic()
        await asyncio.gather(*(submitter() for _ in range(CONCURRENCY)))
        rate = len(ms) / (time.monotonic() - started)
        await asyncio.gather(*(prober(time.monotonic() + 5) for _ in range(CONCURRENCY)))
        health_rate = health / 5
        for spy in spies:
            spy.wait(timeout=120)
    print(f"submissions through the gateway: {rate:.0f}/s, p50 {percentile(ms, 50):.0f} ms, "
          f"p99 {percentile(ms, 99):.0f} ms ({CONCURRENCY} in flight); gateway /healthz {health_rate:.0f}/s; "
          f"ratio {rate / health_rate:.2f}×")
    for name in ports:
        total, rows = top_functions(out / f"{name}.txt")
        print(f"--- {name}: {total} samples, top functions by own CPU share")
        print("\n".join(f"{share * 100:5.1f}%  {frame}" for frame, share in rows))


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "bench-profile")
    target.mkdir(parents=True, exist_ok=True)
    asyncio.run(run(BenchSettings.from_env(), target))
