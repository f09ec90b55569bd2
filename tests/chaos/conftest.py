"""The chaos tier: a private RabbitMQ node, `portal up --workers` on it, a bounded load, and faults.

`make test` runs the quick scenarios on SQLite; `make chaos` (CHAOS=full) runs every scenario on SQLite and
PostgreSQL and prints the table. A cluster mode plugs in as another `Broker` with its own scenarios
(CLUSTER=3, tests/chaos/cluster.py: `start_broker(home) -> Broker` and `SCENARIOS`).
"""

import concurrent.futures
import contextlib
import importlib
import os
import shutil
from collections.abc import Generator, Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.chaos.broker import Broker, PrivateNode
from tests.chaos.checks import Outcome
from tests.chaos.scenarios import SINGLE_NODE, Scenario
from tests.chaos.table import render
from tests.conftest import EARLY_STARTS, require_service

FULL = os.environ.get("CHAOS", "") == "full"
CLUSTER = int(os.environ.get("CLUSTER", "1") or "1")
BASE_PORT = int(os.environ.get("CHAOS_BASE_PORT", str(int(os.environ.get("PORTAL_E2E_BASE_PORT", "18000")) + 400)))
AMQP_PORT = int(os.environ.get("CHAOS_AMQP_PORT", "5700"))
MANAGEMENT_PORT = int(os.environ.get("CHAOS_MANAGEMENT_PORT", "15700"))
DIST_PORT = int(os.environ.get("CHAOS_DIST_PORT", "25700"))
NODE_NAME = os.environ.get("CHAOS_NODE_NAME", "chaos-portal")
# Kept after the run (logs, databases) for whoever reads a failure; each run starts it afresh.
RUN_DIR = Path(os.environ.get("CHAOS_RUN_DIR", ".run/chaos"))

OUTCOMES: list[tuple[Outcome, list[str]]] = []


def cluster_mode() -> ModuleType | None:
    return importlib.import_module("tests.chaos.cluster") if CLUSTER > 1 else None


def scenarios() -> tuple[Scenario, ...]:
    cluster = cluster_mode()
    chosen: tuple[Scenario, ...] = cluster.SCENARIOS if cluster is not None else SINGLE_NODE
    named = os.environ.get("CHAOS_SCENARIOS")  # e.g. "no fault,kill -9 gateway": the baseline comes first
    if named:
        return tuple(s for s in chosen if s.name in named.split(","))
    return chosen if FULL or cluster is not None else tuple(s for s in chosen if s.quick)


def databases() -> list[str]:
    """CHAOS_DATABASES=sqlite (or postgresql) runs one, e.g. to run the two at once on two private nodes."""
    chosen = os.environ.get("CHAOS_DATABASES")
    if chosen:
        return chosen.split(",")
    return ["sqlite", "postgresql"] if FULL else ["sqlite"]


def start_broker() -> Broker:
    # Not under pytest's temporary directories: a node's data and cookie must outlive any clean-up of those.
    home = RUN_DIR / "broker"
    shutil.rmtree(home, ignore_errors=True)
    cluster = cluster_mode()
    started: Broker = cluster.start_broker(home) if cluster is not None else \
        PrivateNode(NODE_NAME, home, AMQP_PORT, MANAGEMENT_PORT, DIST_PORT)
    if cluster is None:
        started.start()
    return started


# The broker is started in a thread once the first test runs (tests/conftest.py's EARLY_STARTS): its start-up
# (Erlang's boot, the management plugin) then overlaps the tests that run before the chaos tier.
STARTING: list[concurrent.futures.Future[Broker]] = []


def pytest_collection_finish(session: pytest.Session) -> None:
    if any("chaos" in Path(str(item.path)).parts for item in session.items):
        EARLY_STARTS.append(start_early)


def start_early() -> None:
    STARTING.append(concurrent.futures.ThreadPoolExecutor(1).submit(start_broker))


def pytest_sessionfinish() -> None:
    """A broker started early whose tests never ran (a failure before them, an interruption) is removed too."""
    while STARTING:
        with contextlib.suppress(Exception):
            STARTING.pop().result().destroy()


@pytest.fixture(scope="session")
def broker() -> Iterator[Broker]:
    if start_early in EARLY_STARTS:  # the chaos tier runs first: start it here, and only here
        EARLY_STARTS.remove(start_early)
    started = STARTING.pop().result() if STARTING else start_broker()
    try:
        yield started
    finally:
        started.destroy()


@pytest.fixture(params=databases())
def database(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql":
        require_service("PostgreSQL", "127.0.0.1", 5432)
    return str(request.param)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport() -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """The table so far rides on each chaos test's report (tests/conftest.py shows it), and is kept in a file."""
    report = yield
    if report.when == "call" and OUTCOMES:
        report.user_properties.append(("summary:chaos tier", render(OUTCOMES)))
        table = Path(os.environ.get("CHAOS_TABLE", str(RUN_DIR / "table.txt")))
        table.parent.mkdir(parents=True, exist_ok=True)
        table.write_text(render(OUTCOMES) + "\n")
    return report
