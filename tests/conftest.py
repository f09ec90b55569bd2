"""Fixtures every test layer shares: identities, and real databases and brokers that fail loudly in CI."""

import asyncio
import concurrent.futures
import importlib
import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import asyncpg
import pytest

from shared.auth import IdentitySigner, generate_keypair
from shared.bus.admin import BrokerAdmin
from shared.db.migrate import upgrade

PG_ADMIN_DSN = os.environ.get("TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP_URL = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
IN_CI = bool(os.environ.get("CI"))


# For portals the tests drive as scripts (many sign-ins and submissions from one address in seconds): the
# per-route limits are the unit tests' subject (tests/unit/gateway/test_security.py), not theirs.
SCRIPTED_LIMITS = {"GATEWAY_RATE_SIGN_IN": "1000", "GATEWAY_BURST_SIGN_IN": "100000", "GATEWAY_RATE_SUBMIT": "1000",
                   "GATEWAY_BURST_SUBMIT": "100000", "GATEWAY_RATE_SEARCH": "1000", "GATEWAY_BURST_SEARCH": "100000"}


def drop_vhost(vhost: str) -> None:
    """A test portal's vhost and the ministry broker users named for it."""

    async def drop() -> None:
        admin = BrokerAdmin("http://127.0.0.1:15672", "guest", "guest", vhost)
        try:
            await admin.delete_vhost()
        finally:
            await admin.close()

    # Its own thread: Playwright's sync API may hold an event loop open in this one.
    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, drop()).result()


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    if _reachable(host, port):
        return
    message = f"{name} is not reachable on {host}:{port}"
    if IN_CI:
        pytest.fail(f"{message}, and CI needs it (start it: see README)")
    pytest.skip(message)


# Slow start-ups a later tier needs (tests/chaos' private node, tests/e2e's portals), registered when collection ends
# and begun with the browser tier's first test (it runs first in `make test`, for minutes): after its own start-ups
# (a portal and an identity provider, whose deadlines they would otherwise share two cores with), beside its tests.
# Without a browser test they are not begun early: beside the chaos tier's portal they would push its start past its
# ceiling on a loaded machine.
EARLY_STARTS: list[Callable[[], None]] = []

# The tiers that run the portal as processes on fixed ports: one xdist worker takes them all, in this order (browser
# first, see above), while the other workers share the unit and integration tests.
PORTAL_TIERS = ("browser", "chaos", "e2e")
# What a test asks to show after the run (its name, then text), carried in its report so that it is shown from an xdist
# worker too: the chaos tier's table, the fuzzer's seed.
SUMMARIES: dict[str, str] = {}


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if any(tier in Path(str(item.path)).parts for tier in PORTAL_TIERS):
            item.add_marker(pytest.mark.xdist_group("portals"))


def pytest_runtest_call(item: pytest.Item) -> None:
    if "browser" in Path(str(item.path)).parts:
        while EARLY_STARTS:
            EARLY_STARTS.pop(0)()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for name, text in report.user_properties:
        if isinstance(name, str) and name.startswith("summary:"):
            SUMMARIES[name.removeprefix("summary:")] = str(text)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for title, text in SUMMARIES.items():
        terminalreporter.write_sep("=", title)
        terminalreporter.write_line(text)


@pytest.fixture(scope="session")
def keypair() -> tuple[str, str]:
    return generate_keypair()


@pytest.fixture(scope="session")
def signer(keypair: tuple[str, str]) -> IdentitySigner:
    return IdentitySigner(keypair[0])


@pytest.fixture(scope="session")
def public_key(keypair: tuple[str, str]) -> str:
    return keypair[1]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path}/test.db"


# A service's store tests (tests/integration/<service>) start from a copy of its database migrated once per worker:
# migrating anew took most of each test's set-up (0.7 s for the requests service on PostgreSQL), a quarter of the
# tier's time. A test of the migrations themselves asks for an empty database (@pytest.mark.empty_database).
STORES = {service: f"services.{service}.store" for service in ("catalog", "gateway", "notifications", "requests",
                                                               "search")}
_PG_TEMPLATES: dict[str, str] = {}
_SQLITE_TEMPLATES: dict[str, Path] = {}


def _store_of(request: pytest.FixtureRequest) -> str | None:
    if request.node.get_closest_marker("empty_database") is not None:
        return None
    parts = Path(str(request.node.path)).parts
    if "integration" not in parts or parts.index("integration") + 1 >= len(parts):
        return None
    return STORES.get(parts[parts.index("integration") + 1])


def _migrations(store: str) -> Path:
    migrations: Path = importlib.import_module(store).MIGRATIONS
    return migrations


async def _sqlite_database(directory: Path, store: str | None, templates: Path) -> str:
    path = directory / "test.db"
    if store is not None:
        template = _SQLITE_TEMPLATES.get(store)
        if template is None:
            template = templates / f"{store}.db"
            await upgrade(_migrations(store), f"sqlite+aiosqlite:///{template}")
            _SQLITE_TEMPLATES[store] = template
        _copy_sqlite(template, path)
    return f"sqlite+aiosqlite:///{path}"


def _copy_sqlite(template: Path, path: Path) -> None:
    for suffix in ("", "-wal"):
        if Path(f"{template}{suffix}").exists():
            shutil.copyfile(f"{template}{suffix}", f"{path}{suffix}")


async def _create_database(store: str | None = None) -> str:
    require_service("PostgreSQL", "127.0.0.1", 5432)
    name = f"portal_test_{uuid.uuid4().hex[:12]}"
    template = "" if store is None else f' TEMPLATE "{await _pg_template(store)}"'
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"{template}')
    finally:
        await admin.close()
    return name


async def _pg_template(store: str) -> str:
    template = _PG_TEMPLATES.get(store)
    if template is None:
        template = await _create_database()
        await upgrade(_migrations(store), f"postgresql+asyncpg://postgres@127.0.0.1:5432/{template}")
        _PG_TEMPLATES[store] = template
    return template


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Where this worker keeps its migrated SQLite templates; its PostgreSQL templates are dropped after the run."""
    yield tmp_path_factory.mktemp("migrated")
    for name in _PG_TEMPLATES.values():
        asyncio.run(_drop_database(name))


async def _drop_database(name: str) -> None:
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    name = await _create_database()
    yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    await _drop_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path, migrated_templates: Path
                       ) -> AsyncIterator[str]:
    """Every store test runs on both engines."""
    store = _store_of(request)
    if request.param == "sqlite":
        yield await _sqlite_database(tmp_path, store, migrated_templates)
        return
    name = await _create_database(store)
    yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    await _drop_database(name)


@pytest.fixture
def amqp_url() -> Iterator[str]:
    require_service("RabbitMQ", "127.0.0.1", 5672)
    yield AMQP_URL
