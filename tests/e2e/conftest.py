import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pytest

from tests.conftest import EARLY_STARTS, SCRIPTED_LIMITS, _reachable, drop_vhost, require_service

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


@dataclass
class LaunchedPortal:
    """`portal up` started but not yet waited for: a slow start-up can overlap other tests (see EARLY)."""

    process: subprocess.Popen[bytes]
    log: BinaryIO
    vhost: str | None
    running: RunningPortal

    def wait_ready(self) -> RunningPortal:
        deadline = time.monotonic() + READY_SECONDS
        while b"The portal is ready" not in self.running.output.read_bytes():
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("portal up did not become ready:\n" + self.running.output.read_text()[-3000:])
            time.sleep(0.2)
        return self.running

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        if self.vhost is not None:
            drop_vhost(self.vhost)
        self.log.close()


def launch_portal(run_dir: Path, base_port: int, *args: str, extra_env: dict[str, str] | None = None
                  ) -> LaunchedPortal:
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
    return LaunchedPortal(process, log, None if args else vhost,
                          RunningPortal(f"http://127.0.0.1:{base_port}", run_dir, amqp_url, output))


@contextlib.contextmanager
def start_portal(run_dir: Path, base_port: int, *args: str, extra_env: dict[str, str] | None = None
                 ) -> Iterator[RunningPortal]:
    yield from ready_portal(launch_portal(run_dir, base_port, *args, extra_env=extra_env))


def ready_portal(launched: LaunchedPortal) -> Iterator[RunningPortal]:
    try:
        yield launched.wait_ready()
    finally:
        launched.stop()


# Portals the selected tests will need, launched early (tests/conftest.py's EARLY_STARTS): their start-up (a minute
# or more on a loaded two-core machine) then overlaps the browser tier's minutes instead of adding to the wall time.
EARLY: dict[str, LaunchedPortal] = {}
# Portals whose fixture already ran (`pytest tests/e2e tests/browser` runs e2e first): none is launched twice.
CLAIMED: set[str] = set()


def early_portal(name: str, launch: Callable[[], LaunchedPortal]) -> Iterator[RunningPortal]:
    """The portal launched early under `name` (else launched now), ready; stopped afterwards."""
    CLAIMED.add(name)
    launched = EARLY.pop(name, None) or launch()
    yield from ready_portal(launched)


def launch_early(name: str, launch: Callable[[], LaunchedPortal]) -> None:
    if name not in CLAIMED:
        EARLY[name] = launch()


def launch_shared_portal(run_dir: Path) -> LaunchedPortal:
    # k at the lowest the portal accepts, so that a test learns from citizens it can create in seconds.
    env = {"PORTAL_TRACE_FILE": str(run_dir / "traces") + os.sep, "REQUESTS_INSIGHTS_MIN_CITIZENS": "10"}
    return launch_portal(run_dir, BASE_PORT, extra_env=env)


def pytest_collection_finish(session: pytest.Session) -> None:
    if not (_reachable("127.0.0.1", 5672) and _reachable("127.0.0.1", 15672)):
        return  # the fixtures say why (they fail in CI)
    from tests.e2e.test_public_contract import launch_fuzzed_portal

    factory = session.config._tmp_path_factory  # type: ignore[attr-defined]
    e2e = [item for item in session.items if "e2e" in Path(str(item.path)).parts]
    if any(Path(str(item.path)).name == "test_public_contract.py" for item in e2e):
        EARLY_STARTS.append(
            lambda: launch_early("fuzzed", lambda: launch_fuzzed_portal(factory.mktemp("fuzzed-portal"))))
    if any("portal" in getattr(item, "fixturenames", ()) for item in e2e):
        EARLY_STARTS.append(lambda: launch_early("shared", lambda: launch_shared_portal(factory.mktemp("portal-run"))))


def pytest_sessionfinish() -> None:
    """A portal launched early whose tests never ran (deselected by a failure, interrupted) is stopped too."""
    while EARLY:
        EARLY.popitem()[1].stop()


@pytest.fixture(scope="session")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPortal]:
    require_service("RabbitMQ", "127.0.0.1", 5672)
    require_service("RabbitMQ management API", "127.0.0.1", 15672)
    yield from early_portal("shared", lambda: launch_shared_portal(tmp_path_factory.mktemp("portal-run")))
