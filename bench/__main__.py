"""Run every measurement once and print them; exits non-zero if any of them could not be made."""

import asyncio
import sys
import time

from bench.codec import measure_codec
from bench.dashboard import dashboard_report, measure_dashboard
from bench.e2e import measure_latency
from bench.gateway import gateway_report, measure_gateway_overhead
from bench.idle import idle_report, idle_summary, measure_idle
from bench.insights import (
    forecasts_report,
    measure_forecasts,
    measure_store,
    measure_suggestions,
    store_report,
    suggestions_report,
)
from bench.kpis import kpis_report, measure_kpis
from bench.ministries import MINISTRIES, measure_ministries, ministries_report, ministries_summary
from bench.notifications import measure_notifications, notifications_report
from bench.report import latency_report, summary, throughput_report
from bench.search import measure_search, search_report, search_summary
from bench.settings import BenchSettings
from bench.status_updates import measure_status_updates, status_updates_report
from bench.throughput import measure_throughput
from bench.tracing import measure as measure_tracing
from bench.tracing import report as tracing_report
from bench.workspace import measure_workspace, workspace_report
from portal.synthetic_history import generate
from shared.logging import configure_logging


async def run(settings: BenchSettings) -> None:
    started = time.monotonic()
    print(f"Measuring bus throughput ({settings.bus_messages} messages × {settings.bus_rounds} paired rounds)…",
          flush=True)
    throughput = await measure_throughput(settings)
    codec = measure_codec(settings.messages, settings.repeats)
    print(throughput_report(throughput, codec, settings) + "\n", flush=True)
    print(f"Measuring end-to-end latency ({settings.requests} requests; starting `portal up`)…", flush=True)
    latency = await measure_latency(settings)
    print(latency_report(latency) + "\n", flush=True)
    print("Measuring search (10,000 synthetic services; starting the search service)…", flush=True)
    search = await measure_search()
    print(search_report(search, latency.search_through_gateway) + "\n", flush=True)
    print(f"Measuring ministry integration ({MINISTRIES} ministries at once; starting `portal up` on SQLite, then on "
          "PostgreSQL)…", flush=True)
    ministries = await measure_ministries(settings)
    print(ministries_report(ministries) + "\n", flush=True)
    print("Measuring the gateway's overhead (starting `portal up`)…", flush=True)
    print(gateway_report(await measure_gateway_overhead(settings)) + "\n", flush=True)
    print("Measuring notifications (status events → in-app + email, real SMTP server)…", flush=True)
    notifications = await measure_notifications(settings)
    print(notifications_report(notifications) + "\n", flush=True)
    print("Measuring ministries' status updates applied by the requests service (one transaction each, then one per "
          "batch; idle, then under 5 submissions/s)…", flush=True)
    for load in (0.0, 5.0):
        print(status_updates_report(await measure_status_updates(settings.requests, load, settings.repeats)) + "\n",
              flush=True)
    print("Measuring the ministry workspace's queue (100,000 requests; starting `portal up`)…", flush=True)
    workspace = await measure_workspace(settings)
    print(workspace_report(workspace) + "\n", flush=True)
    print("Measuring public KPIs (rollups of 1,000,000 requests; the requests service in this process)…", flush=True)
    kpis = await measure_kpis()
    print(kpis_report(kpis) + "\n", flush=True)
    print("Measuring the citizen dashboard's reads at 10,000 and 1,000,000 requests (the requests service in this "
          "process)…", flush=True)
    dashboard = await measure_dashboard()
    print(dashboard_report(dashboard) + "\n", flush=True)
    print("Measuring learned suggestions (a synthetic history of about 1,000,000 requests)…", flush=True)
    history = generate(1_000_000)
    suggestions = measure_suggestions(history)
    print(suggestions_report(suggestions) + "\n", flush=True)
    print(forecasts_report(measure_forecasts(history)) + "\n", flush=True)
    store = await measure_store(history)
    print(store_report(store) + "\n", flush=True)
    print("Measuring idle memory per service (each started as `portal up` does, then the search index loaded)…",
          flush=True)
    idle = await measure_idle(settings)
    print(idle_report(idle) + "\n", flush=True)
    print("Measuring OpenTelemetry on the submission path (tracing off, then on at 100 %, 10 %, 1 % sampling)…",
          flush=True)
    print(tracing_report(measure_tracing()) + "\n", flush=True)
    print(summary(throughput, codec, latency))
    print(ministries_summary(ministries))
    print(search_summary(search, latency.search_through_gateway))
    print(f"workspace queue page p99 {workspace.queue_p99:.1f} ms at {workspace.rows:,} requests")
    print(kpis_report(kpis).splitlines()[-1])
    print(f"suggestions hit@3: learned {suggestions.hits['learned patterns']:.1%}, life-event rules "
          f"{suggestions.hits['life-event rules']:.1%}, most popular {suggestions.hits['most popular']:.1%}; "
          f"retrain {store.retrain_seconds:.1f} s and suggestion p99 {store.p99_ms:.1f} ms at {store.rows:,} requests")
    print(dashboard_report(dashboard).splitlines()[-1])
    print(idle_summary(idle))
    print(f"(took {time.monotonic() - started:.0f} s)")


def main() -> int:
    configure_logging("bench", "warning")
    try:
        asyncio.run(run(BenchSettings.from_env()))
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
