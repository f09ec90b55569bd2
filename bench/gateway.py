"""The gateway's overhead: the same read straight from the catalogue service and through the gateway."""

import time
from dataclasses import dataclass, field

import httpx

from bench.e2e import Portal, running_portal
from bench.settings import BenchSettings
from bench.stats import median, percentile, table
from portal.up import BACKENDS

READ = "/api/v1/services/renew-driving-licence"
PARAMS = {"lang": "ar"}
WARMUP_READS = 20


@dataclass
class GatewayOverhead:
    path: str
    direct_ms: list[float] = field(default_factory=list)
    gateway_ms: list[float] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        """Median through the gateway over median direct: 1.0 would be a free gateway."""
        return median(self.gateway_ms) / median(self.direct_ms)

    @property
    def added_ms(self) -> float:
        return median(self.gateway_ms) - median(self.direct_ms)


async def _timed_read(client: httpx.AsyncClient) -> float:
    started = time.perf_counter()
    response = await client.get(READ, params=PARAMS)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{client.base_url}{READ} answered {response.status_code}: {response.text[:300]}")
    return elapsed


async def _measure(portal: Portal, catalog_url: str, reads: int) -> GatewayOverhead:
    result = GatewayOverhead(READ)
    async with (httpx.AsyncClient(base_url=catalog_url, timeout=10) as direct,
                httpx.AsyncClient(base_url=portal.gateway_url, timeout=10) as gateway):
        for _ in range(WARMUP_READS):
            await _timed_read(direct)
            await _timed_read(gateway)
        for _ in range(reads):  # alternated, so both see the same machine at the same moment
            result.direct_ms.append(await _timed_read(direct))
            result.gateway_ms.append(await _timed_read(gateway))
    return result


async def measure_gateway_overhead(settings: BenchSettings, portal: Portal | None = None) -> GatewayOverhead:
    """One keep-alive client each, reads one after the other: the per-request cost the gateway adds
    (rate-limit check, breaker, route, identity and trace headers, one more HTTP hop), not throughput."""
    reads = max(settings.requests, 200)
    catalog_port = settings.base_port + 1 + BACKENDS.index("catalog")
    if portal is not None:
        return await _measure(portal, f"http://127.0.0.1:{catalog_port}", reads)
    async with running_portal(settings) as started:
        return await _measure(started, f"http://127.0.0.1:{catalog_port}", reads)


def gateway_report(result: GatewayOverhead) -> str:
    def row(name: str, values: list[float]) -> list[str]:
        return [name, f"{median(values):.2f}", f"{percentile(values, 95):.2f}", f"{percentile(values, 99):.2f}"]

    return "\n".join([
        f"Gateway overhead: GET {result.path} ({len(result.direct_ms)} reads each, alternated, keep-alive)",
        table(["", "median ms", "p95 ms", "p99 ms"],
              [row("catalog service, direct", result.direct_ms), row("through the gateway", result.gateway_ms)]),
        f"Through the gateway / direct (medians): {result.ratio:.2f}× (+{result.added_ms:.2f} ms a read)",
    ])
