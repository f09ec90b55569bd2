"""OpenTelemetry's cost on the submission path: the requests service in process (SQLite, in-memory bus, outbox
relay), N submissions timed with tracing off (the no-op API), and on at several sampling ratios.

Each setting runs in its own process (a process has one tracer provider); the figures are medians of rounds,
and the ratios are against the tracing-off run made just before, on the same machine.

    python -m bench.tracing [submissions] [rounds]
"""

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

SETTINGS = (("off", {"PORTAL_TRACING": "off"}),
            ("on, sampled 100 %, no exporter", {"PORTAL_TRACE_SAMPLE_RATIO": "1.0"}),
            ("on, sampled 100 %, spans to a file", {"PORTAL_TRACE_SAMPLE_RATIO": "1.0", "PORTAL_TRACE_FILE": "FILE"}),
            ("on, sampled 10 %, spans to a file", {"PORTAL_TRACE_SAMPLE_RATIO": "0.1", "PORTAL_TRACE_FILE": "FILE"}),
            ("on, sampled 1 %, spans to a file", {"PORTAL_TRACE_SAMPLE_RATIO": "0.01", "PORTAL_TRACE_FILE": "FILE"}))


async def _submissions(count: int, rounds: int) -> list[float]:
    import httpx
    from asgi_lifespan import LifespanManager

    from services.requests.app import create_app
    from services.requests.config import Settings
    from shared.auth import Identity, IdentitySigner, generate_keypair
    from shared.bus import Envelope
    from shared.bus.topology import EVENTS
    from shared.contracts.base import Bilingual
    from shared.contracts.catalog import FormField, ServicePublished, ServiceRecord

    private, public = generate_keypair()
    signer = IdentitySigner(private)
    with tempfile.TemporaryDirectory() as directory:
        settings = Settings(database_url=f"sqlite+aiosqlite:///{directory}/requests.db",
                            amqp_url=f"memory://bench-{uuid.uuid4()}", identity_public_key=public,
                            catalog_url="http://127.0.0.1:9", outbox_poll_seconds=0.05, renewal_scan_seconds=0)
        app = create_app(settings)
        text = Bilingual(ar="تجديد", en="Renew")
        record = ServiceRecord(slug="renew", ministry="rop", ministry_name=text, version=1, title=text,
                               description=text, maturity="electronic", target_days=2,
                               form=[FormField(name="licence", kind="text", label=text)])
        async with LifespanManager(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                                           base_url="http://bench") as client:
            bus = app.state.runtime.bus
            await bus.publish(Envelope(type=ServicePublished.TYPE, source="/catalog",
                                       data=ServicePublished(service=record).model_dump(mode="json")),
                              EVENTS, "catalog.service.published")
            await asyncio.sleep(0.5)
            citizen = Identity(subject="12345678", role="citizen")
            per_round = []
            for _ in range(rounds + 1):
                started = time.perf_counter()
                for _ in range(count):
                    # A fresh identity token each time, as the gateway makes (they live 60 seconds).
                    response = await client.post("/api/v1/requests",
                                                 headers={"x-portal-identity": signer.sign(citizen)},
                                                 json={"service": "renew", "fields": {"licence": "L-1234"}})
                    assert response.status_code == 201, response.text
                per_round.append((time.perf_counter() - started) / count * 1000)
            return per_round[1:]  # the first round warms up


def _child(count: int, rounds: int) -> None:
    from shared.logging import configure_logging

    configure_logging("bench", "error")
    print(json.dumps(asyncio.run(_submissions(count, rounds))))


def measure(count: int = 200, rounds: int = 5) -> list[tuple[str, float]]:
    results = []
    with tempfile.TemporaryDirectory() as directory:
        for name, env in SETTINGS:
            env = {k: (str(Path(directory) / f"spans-{len(results)}.jsonl") if v == "FILE" else v)
                   for k, v in env.items()}
            done = subprocess.run([sys.executable, "-m", "bench.tracing", "--child", str(count), str(rounds)],
                                  env=os.environ | env | {"REQUESTS_LOG_LEVEL": "error"}, capture_output=True,
                                  text=True, check=False)
            if done.returncode != 0:
                raise RuntimeError(f"{name}: {done.stderr[-2000:]}")
            results.append((name, statistics.median(json.loads(done.stdout.strip().splitlines()[-1]))))
    return results


def report(results: list[tuple[str, float]]) -> str:
    baseline = results[0][1]
    lines = ["OpenTelemetry on the submission path (requests service in process, ms per submission, median of rounds)"]
    lines += [f"  {name:<38} {ms:7.2f} ms  ×{ms / baseline:.3f} ({(ms / baseline - 1) * 100:+.1f} %)"
              for name, ms in results]
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(int(sys.argv[2]), int(sys.argv[3]))
    else:
        arguments = [int(a) for a in sys.argv[1:3]]
        print(report(measure(*arguments)))
