import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import SCRIPTED_LIMITS, drop_vhost, require_service

# Parallel checkouts on one machine each pick their own ports.
BASE_PORT = int(os.environ.get("PORTAL_E2E_BASE_PORT", "18000"))

# Five services starting on a loaded two-core machine can take minutes; PORTAL_E2E_READY_SECONDS overrides.
READY_SECONDS = float(os.environ.get("PORTAL_E2E_READY_SECONDS", "240"))


@dataclass(frozen=True)
class RunningPortal:
    url: str
    run_dir: Path
    amqp_url: str
    output: Path

    def ministry_key(self, code: str) -> str:
        return str(json.loads((self.run_dir / "ministries" / f"{code}.json").read_text())["api_key"])


@contextlib.contextmanager
def start_portal(run_dir: Path, base_port: int, *args: str, extra_env: dict[str, str] | None = None
                 ) -> Iterator[RunningPortal]:
    """`portal up` as a citizen's machine would run it: five services and a simulated ministry."""
    vhost = f"e2e-{uuid.uuid4().hex[:8]}"
    amqp_url = f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    env = os.environ | {"PORTAL_AMQP_URL": amqp_url, "PORTAL_BASE_PORT": str(base_port),
                        "PORTAL_RUN_DIR": str(run_dir), "PORTAL_SIMULATOR_DELAY": "0.2",
                        "PORTAL_LOG_LEVEL": "warning"} | SCRIPTED_LIMITS | (extra_env or {})
    output = run_dir / "portal.log"
    log = output.open("wb")
    process = subprocess.Popen([sys.executable, "-m", "portal.cli", "up", *args], env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + READY_SECONDS
    try:
        while b"The portal is ready" not in output.read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("portal up did not become ready:\n" + output.read_text()[-3000:])
            time.sleep(0.2)
        yield RunningPortal(f"http://127.0.0.1:{base_port}", run_dir, amqp_url, output)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        if not args:
            drop_vhost(vhost)
        log.close()


@pytest.fixture(scope="session")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPortal]:
    require_service("RabbitMQ", "127.0.0.1", 5672)
    require_service("RabbitMQ management API", "127.0.0.1", 15672)
    run_dir = tmp_path_factory.mktemp("portal-run")
    # k at the lowest the portal accepts, so that a test learns from citizens it can create in seconds.
    env = {"PORTAL_TRACE_FILE": str(run_dir / "traces") + os.sep, "REQUESTS_INSIGHTS_MIN_CITIZENS": "10"}
    with start_portal(run_dir, BASE_PORT, extra_env=env) as running:
        yield running
