"""`portal up`: every service as its own process on RabbitMQ, or all in one process when no broker answers."""

import asyncio
import contextlib
import json
import os
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx

from ministry_sdk import MinistryClient, SqliteStore
from portal.dev_mail import DevMailServer, notifications_mail_env
from portal.layout import BACKENDS, SERVICES
from portal.onboarding import MinistryCredentials, dev_token, seed_catalogue, seed_summary
from portal.search_admin import reindex
from portal.simulator import SimulatedMinistry
from portal.supervisor import Supervisor, keep_running
from shared.auth import generate_keypair
from shared.bus.admin import BrokerAdmin, vhost_of, with_credentials
from shared.logging import get_logger

if TYPE_CHECKING:
    from fastapi import FastAPI

log = get_logger(__name__)
MAIL_PORT_OFFSET = 25
GATEWAY_METRICS_PORT_OFFSET = 9


@dataclass(frozen=True)
class UpConfig:
    amqp_url: str
    management_url: str
    base_port: int
    run_dir: Path
    database_url: str | None
    simulator_delay: float
    log_level: str
    requests_workers: bool = False

    @classmethod
    def from_env(cls) -> "UpConfig":
        return cls(
            amqp_url=os.environ.get("PORTAL_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
            management_url=os.environ.get("PORTAL_MANAGEMENT_URL", "http://127.0.0.1:15672"),
            base_port=int(os.environ.get("PORTAL_BASE_PORT", "8000")),
            run_dir=Path(os.environ.get("PORTAL_RUN_DIR", ".run")),
            database_url=os.environ.get("PORTAL_DATABASE_URL"),
            simulator_delay=float(os.environ.get("PORTAL_SIMULATOR_DELAY", "1.0")),
            log_level=os.environ.get("PORTAL_LOG_LEVEL", "info"),
            requests_workers=os.environ.get("PORTAL_REQUESTS_WORKERS", "") in ("1", "true"),
        )

    def port(self, service: str) -> int:
        return self.base_port if service == "gateway" else self.base_port + 1 + BACKENDS.index(service)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.port(service)}"

    def metrics_args(self, service: str) -> list[str]:
        """The gateway serves /metrics on a port of its own, never on the public one."""
        return ["--metrics-port", str(self.base_port + GATEWAY_METRICS_PORT_OFFSET)] if service == "gateway" else []

    @property
    def mail_port(self) -> int:
        return self.base_port + MAIL_PORT_OFFSET

    def database(self, service: str) -> str:
        if self.database_url:
            return self.database_url.replace("{service}", service)
        return f"sqlite+aiosqlite:///{self.run_dir / 'data' / f'{service}.db'}"


def identity_keys(run_dir: Path) -> tuple[str, str]:
    """The gateway's signing key for this run directory, made once and kept out of the repository."""
    keys = run_dir / "keys"
    private, public = keys / "identity.pem", keys / "identity.pub.pem"
    if not private.exists():
        keys.mkdir(parents=True, exist_ok=True)
        made_private, made_public = generate_keypair()
        private.write_text(made_private)
        private.chmod(0o600)
        public.write_text(made_public)
    return private.read_text(), public.read_text()


def service_env(config: UpConfig, amqp_url: str, keys: tuple[str, str]) -> dict[str, str]:
    env = {"PORTAL_DEV_AUTH": "1"}
    for service in BACKENDS:
        prefix = service.upper()
        env |= {f"{prefix}_DATABASE_URL": config.database(service), f"{prefix}_AMQP_URL": amqp_url,
                f"{prefix}_IDENTITY_PUBLIC_KEY": keys[1], f"{prefix}_LOG_LEVEL": config.log_level}
    env |= {f"GATEWAY_{s.upper()}_URL": config.url(s) for s in BACKENDS}
    env |= {"GATEWAY_IDENTITY_PRIVATE_KEY": keys[0], "GATEWAY_LOG_LEVEL": config.log_level,
            "GATEWAY_DATABASE_URL": config.database("gateway"),
            "REQUESTS_CATALOG_URL": config.url("catalog"), "NOTIFICATIONS_CATALOG_URL": config.url("catalog"),
            "NOTIFICATIONS_PUBLIC_URL": config.url("gateway"),
            "SEARCH_INDEX_DIR": str(config.run_dir / "search-index")}
    # Email goes to the local mail server (.run/mail/*.eml), SMS to files (.run/sms, numbers masked).
    return env | notifications_mail_env(config.mail_port, sms_dir=config.run_dir / "sms")


def dev_mail_server(config: UpConfig) -> DevMailServer:
    return DevMailServer(config.run_dir / "mail", port=config.mail_port)


def broker_answers(amqp_url: str) -> bool:
    parts = urlsplit(amqp_url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5672), timeout=2):
            return True
    except OSError:
        return False


async def broker_admin(config: UpConfig, within: float = 30.0) -> BrokerAdmin:
    """The configured broker's management API. One that does not answer is reported, never "fixed": enabling a
    plugin here would change whatever node the machine's default is, not the broker `portal up` was pointed at."""
    parts = urlsplit(config.amqp_url)
    admin = BrokerAdmin(config.management_url, parts.username or "guest", parts.password or "guest",
                        vhost_of(config.amqp_url))
    deadline = time.monotonic() + within
    while not await admin.answers():
        if time.monotonic() > deadline:
            await admin.close()
            raise RuntimeError(
                f"RabbitMQ's management API does not answer at {config.management_url} (the broker of "
                f"{parts.hostname}:{parts.port or 5672}). Enable the rabbitmq_management plugin on that broker, or "
                "set PORTAL_MANAGEMENT_URL to its management API; portal up changes no broker itself.")
        await asyncio.sleep(1)
    await admin.ensure_vhost()
    await admin.grant_admin(parts.username or "guest")
    return admin


async def wait_ready(urls: dict[str, str], within: float = 180.0) -> None:
    deadline = time.monotonic() + within
    waiting = dict(urls)
    async with httpx.AsyncClient(timeout=2.0) as client:
        while waiting:
            for name, url in list(waiting.items()):
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get(f"{url}/readyz")).status_code == 200:
                        del waiting[name]
            if waiting and time.monotonic() > deadline:
                raise TimeoutError(f"not ready after {within:.0f}s: {', '.join(waiting)}")
            await asyncio.sleep(0.2)


async def seed(config: UpConfig, admin: BrokerAdmin | None) -> list[MinistryCredentials]:
    async with httpx.AsyncClient(base_url=config.url("gateway"), timeout=15.0) as gateway:
        token = await dev_token(gateway)
        credentials = await seed_catalogue(gateway, token, admin, config.run_dir)
        # A catalogue kept from an earlier run publishes nothing new: rebuild the index from it (under a second).
        await reindex(gateway, token)
    print(f"The catalogue is seeded: {seed_summary()}.", flush=True)
    return credentials


def simulated(credentials: list[MinistryCredentials]) -> list[MinistryCredentials]:
    """The ministries the simulator answers for; its own staff handle a workspace ministry's requests."""
    return [c for c in credentials if not c.workspace]


async def spawn(args: list[str], env: dict[str, str]) -> asyncio.subprocess.Process:
    # Own session: Ctrl-C reaches only `portal up`, which then stops its children in order.
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "portal.cli", *args, env=os.environ | env,
                                                start_new_session=True)


WORKER_PORT_OFFSET = 10


async def start_requests_workers(config: UpConfig, env: dict[str, str], codes: list[str],
                                 supervisor: Supervisor) -> None:
    """One requests worker per ministry; the requests service's own process relays their outbox."""
    worker_env = env | {"REQUESTS_OUTBOX_RELAY": "false"}
    ports = {code: config.base_port + WORKER_PORT_OFFSET + i for i, code in enumerate(codes)}
    for code, port in ports.items():
        await supervisor.start(f"worker-{code}", ["requests-worker", "--ministries", code, "--port", str(port)],
                               worker_env)
    await wait_ready({f"worker-{code}": f"http://127.0.0.1:{port}" for code, port in ports.items()})


async def migrated_first(env: dict[str, str]) -> dict[str, str]:
    """Every service's database upgraded by `portal migrate` (as production's pre-deploy job does), and the
    environment that starts the services with their start-up migrations off: a service that migrated itself kept
    Alembic loaded for its whole life, some 10 MB of each process's resident memory."""
    process = await spawn(["migrate", *SERVICES], env)
    if await process.wait() != 0:
        raise RuntimeError("portal migrate failed: see its output above")
    return env | {f"{service.upper()}_MIGRATE_ON_START": "false" for service in SERVICES}


async def run_processes(config: UpConfig) -> None:
    """Every service, worker and the simulated ministry as supervised child processes, until cancelled."""
    keys = identity_keys(config.run_dir)
    admin = await broker_admin(config)
    mail = dev_mail_server(config)
    mail.start()
    env = await migrated_first(service_env(config, config.amqp_url, keys))
    service_envs = {s: env for s in SERVICES}
    if config.requests_workers:
        service_envs["requests"] = env | {"REQUESTS_CONSUME_MINISTRIES": "false", "REQUESTS_OUTBOX_POLL_SECONDS": "0.1"}
    supervisor = Supervisor(spawn, config.run_dir)
    try:
        for service in SERVICES:
            await supervisor.start(service, ["serve", service, "--port", str(config.port(service)),
                                             *config.metrics_args(service)], service_envs[service])
        await wait_ready({s: config.url(s) for s in SERVICES})
        credentials = await seed(config, admin)
        if config.requests_workers:
            await start_requests_workers(config, env, [c.code for c in credentials], supervisor)
        simulator_env = env | {"PORTAL_SIMULATOR_CREDENTIALS": json.dumps(
            [{"code": c.code, "user": c.broker_user, "password": c.broker_password} for c in simulated(credentials)]),
            "PORTAL_AMQP_URL": config.amqp_url, "PORTAL_SIMULATOR_DELAY": str(config.simulator_delay),
            "PORTAL_RUN_DIR": str(config.run_dir)}
        listening = simulators_listening(simulator_state(config.run_dir))
        listening.unlink(missing_ok=True)
        await supervisor.start("simulator", ["simulate-ministry"], simulator_env)
        await wait_for_file(listening, "the simulated ministries")
        layout = "each service its own process"
        if config.requests_workers:
            layout += f", a requests worker per ministry ({len(credentials)})"
        print(f"The portal is ready on {config.url('gateway')} ({layout}, on RabbitMQ).", flush=True)
        await asyncio.Event().wait()
    finally:
        await supervisor.stop()
        await admin.close()
        mail.stop()


def simulator_state(run_dir: Path) -> Path:
    return run_dir / "simulator"


def simulators_listening(state_dir: Path) -> Path:
    """Written once every simulated ministry listens on its inbox: "ready" is not said before they answer."""
    return state_dir / "listening"


def mark_listening(state_dir: Path) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    simulators_listening(state_dir).touch()


async def wait_for_file(path: Path, what: str, within: float = 180.0) -> None:
    deadline = time.monotonic() + within
    while not await asyncio.to_thread(path.exists):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not ready after {within:.0f}s")
        await asyncio.sleep(0.2)


def create_service_app(service: str) -> "FastAPI":
    """The ASGI app of one service, configured from the environment."""
    from importlib import import_module

    module = import_module(f"services.{service}.app")
    app: FastAPI = module.create_app()
    return app


async def run_simulators(amqp_url: str, credentials: list[dict[str, str]], delay: float, state_dir: Path) -> None:
    """One SDK client per simulated ministry, each keeping its journeys in `<state_dir>/<code>.sqlite3`."""
    clients = []
    listening: list[asyncio.Task[None]] = []
    for entry in credentials:
        url = amqp_url if amqp_url.startswith("memory://") else \
            with_credentials(amqp_url, entry["user"], entry["password"])
        client = MinistryClient(url, entry["code"], store=SqliteStore(state_dir / f"{entry['code']}.sqlite3"))
        await client.start()
        clients.append(client)
        listening.append(asyncio.create_task(SimulatedMinistry(client, delay).start()))
    try:
        await asyncio.gather(*listening)
        await asyncio.to_thread(mark_listening, state_dir)
        await asyncio.Event().wait()
    finally:
        for client in clients:
            await client.close()


async def run_in_process(config: UpConfig) -> None:
    """No broker: the five apps share one in-memory bus in this process; same ports, same HTTP contract."""
    import uvicorn

    keys = identity_keys(config.run_dir)
    os.environ.update(service_env(config, "memory://portal", keys))
    mail = dev_mail_server(config)
    mail.start()
    servers: dict[str, uvicorn.Server] = {}
    stopping = asyncio.Event()

    def serving(service: str) -> Callable[[], Awaitable[None]]:
        async def serve() -> None:
            servers[service] = uvicorn.Server(uvicorn.Config(create_service_app(service), host="127.0.0.1",
                                                             port=config.port(service), log_level="warning"))
            await servers[service].serve()
        return serve

    tasks = [asyncio.create_task(keep_running(s, serving(s), stopping=stopping)) for s in SERVICES]
    try:
        await wait_ready({s: config.url(s) for s in SERVICES})
        credentials = await seed(config, None)
        answering = [{"code": c.code, "user": c.broker_user, "password": ""} for c in simulated(credentials)]
        tasks.append(asyncio.create_task(keep_running("simulator", lambda: run_simulators(
            "memory://portal", answering, config.simulator_delay, simulator_state(config.run_dir)), stopping=stopping)))
        print(f"The portal is ready on {config.url('gateway')}. No broker answered, so all services run in "
              "this one process on the in-memory bus.", flush=True)
        await asyncio.gather(*tasks)
    finally:
        stopping.set()
        for server in servers.values():
            server.should_exit = True
        tasks[-1].cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        mail.stop()
