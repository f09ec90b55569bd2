"""What a run prints: the throughput table, the latency table and a summary to paste into a note."""

import platform
from collections.abc import Sequence
from datetime import UTC, datetime

import aio_pika

from bench.codec import CodecResult
from bench.e2e import POLL_INTERVAL, LatencyResult
from bench.settings import BenchSettings
from bench.stats import median, percentile, table
from bench.throughput import METRICS, ThroughputResult


def _rate(value: float) -> str:
    return f"{value:,.0f}"


def _ms(value: float) -> str:
    return f"{value:.1f}"


def throughput_report(result: ThroughputResult, codec: CodecResult, settings: BenchSettings) -> str:
    rows = [[metric, _rate(result.raw.median(metric)), _rate(result.ours.median(metric)),
             f"{result.ratio(metric):.2f}×", f"{median(result.raw.cpu_us[metric]):.0f} / "
             f"{median(result.ours.cpu_us[metric]):.0f}", f"{result.cpu_ratio(metric):.2f}×"] for metric in METRICS]
    ratios = [[metric, " ".join(f"{r:.2f}" for r in result.ratios(metric))] for metric in METRICS]
    return "\n".join([
        f"1. Bus throughput: {result.messages} persistent messages of {result.body_bytes} B per side and round, "
        f"quorum queue, confirms + mandatory, {result.rounds} rounds (warm-up {settings.warmup}); the two sides of "
        "a round run back to back, ours/raw is the median of the rounds' ratios",
        "",
        table(["msg/s (median)", "raw aio-pika", "RabbitBus", "ours/raw", "CPU µs/msg raw / ours", "raw/ours CPU"],
              rows),
        "",
        table(["ours/raw, each round", ""], ratios),
        "",
        f"envelope codec (RabbitBus only): to_body {codec.encode_us:.0f} µs, "
        f"from_body {codec.decode_us:.0f} µs per message",
    ])


def _spread(values: Sequence[float]) -> list[str]:
    return [_ms(percentile(values, 50)), _ms(percentile(values, 90)), _ms(percentile(values, 99)),
            _ms(max(values))]


def latency_ratio(result: LatencyResult) -> float:
    return percentile(result.status_ms, 50) / percentile(result.health_ms, 50)


def latency_report(result: LatencyResult) -> str:
    rows = [
        ["status event → visible in GET", *_spread(result.status_ms)],
        ["  of which: publish confirmed", *_spread(result.confirm_ms)],
        ["GET /api/v1/requests/{tn}", *_spread(result.lookup_ms)],
        ["GET /healthz (baseline)", *_spread(result.health_ms)],
    ]
    return "\n".join([
        f"2. End-to-end status latency: {len(result.status_ms)} requests, `portal up` on RabbitMQ, "
        f"a ministry on its own broker user, polling every {POLL_INTERVAL * 1000:.0f} ms through the gateway",
        "",
        table(["ms", "p50", "p90", "p99", "max"], rows),
        "",
        f"polls per request: median {median(result.polls):.0f}, max {max(result.polls)}",
        f"e2e p50 = {percentile(result.status_ms, 50):.1f} ms = {latency_ratio(result):.1f}× "
        "a gateway health round-trip",
    ])


def summary(throughput: ThroughputResult, codec: CodecResult, latency: LatencyResult) -> str:
    ratios = ", ".join(f"{metric} {throughput.ratio(metric):.2f}×" for metric in METRICS)
    status = latency.status_ms
    return "\n".join([
        "----- summary -----",
        f"bench {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {platform.python_version()}, "
        f"aio-pika {aio_pika.__version__}",
        f"RabbitBus / raw aio-pika (median of {throughput.rounds} paired rounds of {throughput.messages}): "
        f"{ratios}",
        "  CPU per message, raw/ours: " + ", ".join(f"{metric} {throughput.cpu_ratio(metric):.2f}×"
                                                    for metric in METRICS),
        f"  raw: {', '.join(f'{_rate(throughput.raw.median(m))}/s' for m in METRICS)}",
        f"  ours: {', '.join(f'{_rate(throughput.ours.median(m))}/s' for m in METRICS)}",
        f"  envelope codec: {codec.encode_us:.0f} µs encode, {codec.decode_us:.0f} µs decode per message",
        f"e2e status latency (k={len(status)}): p50 {_ms(percentile(status, 50))} ms, "
        f"p90 {_ms(percentile(status, 90))}, p99 {_ms(percentile(status, 99))}, max {_ms(max(status))}; "
        f"p50 = {latency_ratio(latency):.1f}× gateway /healthz p50 "
        f"({_ms(percentile(latency.health_ms, 50))} ms)",
        "-------------------",
    ])
