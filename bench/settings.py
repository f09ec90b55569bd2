"""What a bench run measures and where, from the environment."""

import os
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class BenchSettings:
    messages: int
    bus_messages: int
    bus_rounds: int
    warmup: int
    repeats: int
    in_flight: int
    prefetch: int
    requests: int
    submissions: int
    base_port: int
    broker_host: str
    broker_port: int
    management_url: str
    postgres_dsn: str

    @classmethod
    def from_env(cls) -> "BenchSettings":
        return cls(
            messages=int(os.environ.get("BENCH_MESSAGES", "2000")),
            # The bus comparison: many short rounds, each side of a round right after the other. Fifteen, not seven:
            # on a day this machine's speed drifted, a fresh clone's seven rounds of consume read 0.83 1.00 0.96 0.98
            # 0.81 0.78 0.78 (median 0.83×) and fifteen rounds of the same code right after read 0.94×.
            bus_messages=int(os.environ.get("BENCH_BUS_MESSAGES", "640")),
            bus_rounds=int(os.environ.get("BENCH_BUS_ROUNDS", "15")),
            warmup=int(os.environ.get("BENCH_WARMUP", "200")),
            repeats=int(os.environ.get("BENCH_REPEATS", "3")),
            in_flight=32,
            prefetch=32,
            requests=int(os.environ.get("BENCH_REQUESTS", "100")),
            # Submissions through the gateway per round (bench/ministries.py makes three per database engine): at
            # 200-300/s, a window of several seconds, which one stall of this shared machine moves far less than it
            # moved 450's (about 2 s).
            submissions=int(os.environ.get("BENCH_SUBMISSIONS", "1200")),
            # The bench's own `portal up` takes five ports from here (the gateway first).
            base_port=int(os.environ.get("BENCH_BASE_PORT", os.environ.get("PORTAL_BASE_PORT", "19000"))),
            broker_host=os.environ.get("BENCH_BROKER_HOST", "127.0.0.1"),
            broker_port=int(os.environ.get("BENCH_BROKER_PORT", "5672")),
            management_url=os.environ.get("BENCH_MANAGEMENT_URL", "http://127.0.0.1:15672"),
            # Where a step that runs the portal on PostgreSQL makes its databases (and drops them after).
            postgres_dsn=os.environ.get("BENCH_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"),
        )

    def amqp_url(self, vhost: str) -> str:
        return f"amqp://guest:guest@{self.broker_host}:{self.broker_port}/{vhost}"
