"""The `portal` command: run the portal, serve one service, onboard a ministry, simulate a ministry."""

import asyncio
import contextlib
import dataclasses
import gc
import importlib
import json
import os
import signal
import socket
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import unquote, urlsplit

import httpx
import typer
import uvicorn

from portal.layout import SERVICES
from services.gateway.config import ProxySettings
from shared.bus.topology import valid_ministry_code
from shared.db.migrate import upgrade
from shared.logging import configure_logging
from shared.tracing import configure_tracing
from shared.web import metrics_app

# Each command imports what only it uses: `portal serve` is every service's process, whose resident memory should
# hold that service alone (not the simulator, the mail server, the learning code or the staff client).
if TYPE_CHECKING:
    from portal.staff import StaffClient

app = typer.Typer(help="Unified Government Services Portal", no_args_is_help=True)
ministry = typer.Typer(help="Ministries: onboarding and credentials", no_args_is_help=True)
app.add_typer(ministry, name="ministry")
search = typer.Typer(help="Search: rebuild the index from the catalogue", no_args_is_help=True)
app.add_typer(search, name="search")
dead_letters = typer.Typer(help="Dead letters: what the bus gave up on, with the reason; replay or discard",
                           no_args_is_help=True)
app.add_typer(dead_letters, name="dead-letters")
broker = typer.Typer(help="The RabbitMQ cluster: spread queue leaders and clients again after a node returns",
                     no_args_is_help=True)
app.add_typer(broker, name="broker")
kpis = typer.Typer(help="Performance figures: recount the daily KPI rollups from the requests", no_args_is_help=True)
app.add_typer(kpis, name="kpis")
insights = typer.Typer(help="Learned next-service patterns and demand forecasts", no_args_is_help=True)
app.add_typer(insights, name="insights")
calendar = typer.Typer(help="Oman's working calendar as the requests service reads it", no_args_is_help=True)
app.add_typer(calendar, name="calendar")
GatewayUrl = Annotated[str, typer.Option(envvar="PORTAL_GATEWAY_URL")]
AdminToken = Annotated[str | None, typer.Option(envvar="PORTAL_ADMIN_TOKEN", help="Defaults to the dev sign-in")]


@app.command("up")
def up_command(no_broker: Annotated[bool, typer.Option(help="Run in one process on the in-memory bus")] = False,
               workers: Annotated[bool, typer.Option(help="A requests worker process per ministry")] = False
               ) -> None:
    """Start every service, seed the catalogue, start a simulated ministry; Ctrl-C stops everything."""
    from portal import up

    configure_logging("portal")
    config = up.UpConfig.from_env()
    if workers:
        config = dataclasses.replace(config, requests_workers=True)
    with_broker = not no_broker and up.broker_answers(config.amqp_url)
    asyncio.run(until_signalled(up.run_processes(config) if with_broker else up.run_in_process(config)))
    print("Stopped.")


async def until_signalled(main: Coroutine[Any, Any, None]) -> None:
    """Ctrl-C or SIGTERM cancels the run, so its clean-up (stopping every child) always happens."""
    task = asyncio.create_task(main)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await task


@app.command()
def serve(service: Annotated[str, typer.Argument(help=", ".join(SERVICES))],
          host: str = "127.0.0.1", port: int = 8000,
          metrics_port: Annotated[int | None, typer.Option(help="Serve /metrics on this port (the gateway "
                                                                "serves it nowhere else)")] = None) -> None:
    """Serve one service (what each process and each container runs)."""
    if service not in SERVICES:
        raise typer.BadParameter(f"choose one of {', '.join(SERVICES)}")
    config = server_config(service, host, port)
    if metrics_port is None:
        ServiceServer(config).run()
        return
    metrics = QuietServer(uvicorn.Config(metrics_app(), host=host, port=metrics_port, log_level="warning",
                                         access_log=False))
    # The loop uvicorn would run by itself (uvloop when installed), not asyncio.run's pure-Python selector loop:
    # the gateway is the one process every request crosses.
    with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
        runner.run(serve_beside(ServiceServer(config), metrics))


def server_config(service: str, host: str, port: int) -> uvicorn.Config:
    """Only the gateway faces a proxy (the ingress); it believes the forwarded client address from those listed."""
    proxy: dict[str, Any] = {"proxy_headers": False}
    if service == "gateway":
        proxy = {"proxy_headers": True, "forwarded_allow_ips": ProxySettings().forwarded_allow_ips}
    return uvicorn.Config(f"services.{service}.app:create_app", factory=True, host=host, port=port,
                          log_level="warning", access_log=False, timeout_graceful_shutdown=5,
                          # No service speaks WebSocket (live tracking is server-sent events): ws="auto" would import
                          # a WebSocket implementation, half a megabyte in every process.
                          ws="none", **proxy)


class ServiceServer(uvicorn.Server):
    """Once the app has started, what it keeps for good (modules, routes, models, what its lifespan set up) is frozen
    out of the garbage collector's sight: a full collection then walks what requests made since, not the whole heap.
    Unfrozen, one took 97 ms in the requests service under load, a stall of every request in flight."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        gc.collect()
        gc.freeze()


class QuietServer(uvicorn.Server):
    """A second server in the process: the first one owns the signals and stops this one when it stops."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve_beside(main: uvicorn.Server, metrics: uvicorn.Server) -> None:
    beside = asyncio.create_task(metrics.serve())
    try:
        await main.serve()
    finally:
        metrics.should_exit = True
        await beside


@app.command()
def migrate(services: Annotated[list[str], typer.Argument(help=", ".join(SERVICES))]) -> None:
    """Upgrade each service's database (<SERVICE>_DATABASE_URL) to the latest schema, then exit.

    Production runs this as a pre-deploy Job (deploy/k8s/base/migrations.yaml) with the services' start-up
    migrations off; it takes the same per-database advisory lock, so it is safe beside anything else migrating.
    """
    configure_logging("portal-migrate")
    unknown = [name for name in services if name not in SERVICES]
    if unknown:
        raise typer.BadParameter(f"no such service: {', '.join(unknown)}; choose from {', '.join(SERVICES)}")
    for name in services:
        url = os.environ.get(f"{name.upper()}_DATABASE_URL")
        if not url:
            raise typer.BadParameter(f"{name.upper()}_DATABASE_URL is not set")
        asyncio.run(upgrade(Path(importlib.import_module(f"services.{name}").__file__ or "").parent / "migrations",
                            url))
        print(f"{name}: migrated")


@kpis.command("rebuild")
def kpis_rebuild(database_url: Annotated[str, typer.Option(envvar="REQUESTS_DATABASE_URL")]) -> None:
    """Recount the KPI rollups (per day and month, per service) from every request and rating, in one transaction:
    after restoring a backup, or when upgrading a store that had requests before the rollups existed."""
    from services.requests.store import RequestsUnitOfWork, inbox, outbox
    from shared.db import engine_for

    async def rebuild() -> int:
        engine = engine_for(database_url)
        try:
            await upgrade(Path(importlib.import_module("services.requests").__file__ or "").parent / "migrations",
                          database_url)
            async with RequestsUnitOfWork(engine, outbox, inbox, "portal-kpis") as uow:
                counted = await uow.kpi_rollups.rebuild()
                await uow.commit()
            return counted
        finally:
            await engine.dispose()

    configure_logging("portal-kpis")
    print(json.dumps({"requests_counted": asyncio.run(rebuild())}))


@app.command("requests-worker")
def requests_worker(ministries: Annotated[str, typer.Option(help="Comma-separated ministry codes, e.g. rop,moh")],
                    host: str = "127.0.0.1", port: int = 8080) -> None:
    """Apply only these ministries' status events (a worker per ministry, scaled on its own queue's depth).

    It shares the requests service's database and settings; /healthz, /readyz and /metrics answer on the port.
    """
    codes = sorted({code.strip() for code in ministries.split(",") if code.strip()})
    if not codes or not all(valid_ministry_code(code) for code in codes):
        raise typer.BadParameter("ministry codes are 2 to 16 lower-case letters or digits, comma-separated")
    os.environ |= {"REQUESTS_MINISTRIES": json.dumps(codes), "REQUESTS_CONSUME_MINISTRIES": "true",
                   "REQUESTS_CONSUME_CATALOGUE": "false", "REQUESTS_DEAD_LETTER_DESK": "false"}
    uvicorn.run("services.requests.app:create_app", factory=True, host=host, port=port, log_level="warning",
                access_log=False, timeout_graceful_shutdown=5)


@app.command("simulate-ministry")
def simulate_ministry() -> None:
    """Answer requests as the ministries in PORTAL_SIMULATOR_CREDENTIALS would, over their own broker users."""
    from portal import up

    configure_logging("simulated-ministry", os.environ.get("PORTAL_LOG_LEVEL", "info"))
    configure_tracing("simulated-ministry")
    credentials = json.loads(os.environ["PORTAL_SIMULATOR_CREDENTIALS"])
    run_dir = Path(os.environ.get("PORTAL_RUN_DIR", ".run"))
    asyncio.run(until_signalled(up.run_simulators(os.environ["PORTAL_AMQP_URL"], credentials,
                                                  float(os.environ.get("PORTAL_SIMULATOR_DELAY", "1.0")),
                                                  up.simulator_state(run_dir))))


@ministry.command("onboard")
def onboard(code: str, name_en: Annotated[str, typer.Option("--name-en")],
            name_ar: Annotated[str, typer.Option("--name-ar")],
            gateway_url: GatewayUrl = "http://127.0.0.1:8000", admin_token: AdminToken = None,
            broker_user: Annotated[bool, typer.Option(help="Create the broker user through RabbitMQ's management "
                                                           "API; off where the Topology Operator owns it")] = True,
            workspace: Annotated[bool, typer.Option(help="Its staff handle requests in the portal's workspace "
                                                         "(no system of its own on the bus)")] = False,
            vhost: Annotated[str | None, typer.Option(help="With --no-broker-user: the broker vhost the "
                                                           "ministry connects to (default: PORTAL_AMQP_URL's)")] = None,
            ) -> None:
    """Create the ministry, its API key and its broker user; print the credentials once."""
    from portal import up
    from portal.onboarding import dev_token, onboard_ministry
    from shared.bus.admin import vhost_of

    config = up.UpConfig.from_env()
    vhost = vhost or vhost_of(config.amqp_url)

    async def run() -> None:
        admin = await up.broker_admin(config) if broker_user else None
        try:
            async with httpx.AsyncClient(base_url=gateway_url, timeout=15.0) as gateway:
                token = admin_token or await dev_token(gateway)
                credentials = await onboard_ministry(gateway, token, code, {"ar": name_ar, "en": name_en}, admin,
                                                     workspace=workspace, vhost=vhost)
        finally:
            if admin is not None:
                await admin.close()
        print(f"Ministry {code} onboarded. These credentials are shown once; store them in your secret store.")
        print(f"  API key:        {credentials.api_key}")
        if admin is not None:
            print(f"  broker user:    {credentials.broker_user}")
            print(f"  broker password: {credentials.broker_password}")
            print(f"  vhost:          {vhost}")
        else:
            print(f"  broker user:    {credentials.broker_user} (its password is in the Secret the Topology "
                  "Operator generates)")
        print(f"  reads queue:    ministry.{code}.inbox; publishes on portal.from-ministries, keys {code}.*")

    asyncio.run(run())


def _staff(gateway_url: str, admin_token: str | None, work: "Callable[[StaffClient], Awaitable[None]]") -> None:
    from portal.onboarding import OnboardingError
    from portal.staff import StaffError, staff_client

    async def run() -> None:
        async with staff_client(gateway_url, admin_token) as client:
            await work(client)

    try:
        asyncio.run(run())
    except (StaffError, OnboardingError, httpx.TransportError) as exc:
        print(f"Failed: {exc}")
        raise typer.Exit(1) from exc


@search.command("reindex")
def search_reindex(gateway_url: GatewayUrl = "http://127.0.0.1:8000", admin_token: AdminToken = None) -> None:
    """Rebuild the search index from the catalogue; searches keep working until the new index swaps in."""
    from portal import search_admin
    from portal.onboarding import OnboardingError, dev_token

    async def run() -> search_admin.Reindexed:
        async with httpx.AsyncClient(base_url=gateway_url, timeout=60.0) as gateway:
            token = admin_token or await dev_token(gateway)
            with search_admin.progress_bar() as progress:
                return await search_admin.reindex(gateway, token, progress)

    try:
        done = asyncio.run(run())
    except (search_admin.ReindexError, OnboardingError, httpx.TransportError) as exc:
        print(f"Reindex failed: {exc}")
        raise typer.Exit(1) from exc
    print(f"Search index rebuilt: {done.services} services from the catalogue (index {done.build}).")


@dead_letters.command("list")
def dead_letters_list(queue: Annotated[str | None, typer.Option(help="Only this queue")] = None,
                      status: Annotated[str, typer.Option(help="pending, replayed, discarded or all")] = "pending",
                      page: int = 1, gateway_url: GatewayUrl = "http://127.0.0.1:8000",
                      admin_token: AdminToken = None) -> None:
    """Pending dead letters per queue, then the letters themselves, newest first."""

    async def work(client: "StaffClient") -> None:
        params = {"status": status, "page": page} | ({"queue": queue} if queue else {})
        listing = await client.call("GET", "/api/v1/admin/dead-letters", params=params)
        for name, count in sorted(listing["pending_per_queue"].items()):
            print(f"{count:6d} pending  {name}")
        print(f"{listing['total']} {status} (page {page}):")
        for item in listing["items"]:
            print(f"  {item['id']}  {item['received_at'][:19]}  {item['queue']}  {item['routing_key']}  "
                  f"[{item['status']}]\n      {item['reason']}")

    _staff(gateway_url, admin_token, work)


@dead_letters.command("show")
def dead_letters_show(letter: str, gateway_url: GatewayUrl = "http://127.0.0.1:8000",
                      admin_token: AdminToken = None) -> None:
    """One dead letter with the message it holds."""

    async def work(client: "StaffClient") -> None:
        print(json.dumps(await client.call("GET", f"/api/v1/admin/dead-letters/{letter}"), indent=2,
                         ensure_ascii=False))

    _staff(gateway_url, admin_token, work)


@dead_letters.command("replay")
def dead_letters_replay(letter: Annotated[str | None, typer.Argument(help="One letter's id")] = None,
                        queue: Annotated[str | None, typer.Option(help="Every pending letter of this queue")] = None,
                        gateway_url: GatewayUrl = "http://127.0.0.1:8000", admin_token: AdminToken = None) -> None:
    """Put a dead letter (or every pending one of a queue) back on the queue it came from."""
    if (letter is None) == (queue is None):
        raise typer.BadParameter("give either a letter id or --queue")

    async def work(client: "StaffClient") -> None:
        if letter is not None:
            replayed = await client.call("POST", f"/api/v1/admin/dead-letters/{letter}/replay")
            print(f"Replayed {replayed['id']} onto {replayed['queue']}.")
        else:
            result = await client.call("POST", "/api/v1/admin/dead-letters/replay", json={"queue": queue})
            print(f"Replayed {result['replayed']} dead letters onto {queue}.")

    _staff(gateway_url, admin_token, work)


@dead_letters.command("discard")
def dead_letters_discard(letter: str, note: Annotated[str, typer.Option(help="Why, for the record")],
                         gateway_url: GatewayUrl = "http://127.0.0.1:8000", admin_token: AdminToken = None) -> None:
    """Set a dead letter aside for good, saying why."""

    async def work(client: "StaffClient") -> None:
        await client.call("POST", f"/api/v1/admin/dead-letters/{letter}/discard", json={"note": note})
        print(f"Discarded {letter}.")

    _staff(gateway_url, admin_token, work)


@broker.command("rebalance")
def broker_rebalance(
        management_url: Annotated[str, typer.Option(envvar="PORTAL_MANAGEMENT_URL")] = "http://127.0.0.1:15672",
        amqp_url: Annotated[str, typer.Option(envvar="PORTAL_AMQP_URL", help="Its user and password are used")
                            ] = "amqp://guest:guest@127.0.0.1:5672/",
        vhost: Annotated[str | None, typer.Option(help="Only this vhost's connections")] = None) -> None:
    """After a node returns: move quorum queue leaders onto it, then close the busiest nodes' excess client
    connections (they reconnect through the load balancer and land on the others; nothing is lost)."""
    from shared.bus.rebalance import ClusterRebalancer

    async def rebalance() -> tuple[dict[str, int], int]:
        parts = urlsplit(amqp_url)
        rebalancer = ClusterRebalancer(management_url, unquote(parts.username or "guest"),
                                       unquote(parts.password or "guest"), vhost)
        try:
            await rebalancer.rebalance_leaders()
            closed = await rebalancer.spread_connections()
            return await rebalancer.leaders_per_node(), closed
        finally:
            await rebalancer.close()

    leaders, closed = asyncio.run(rebalance())
    print(json.dumps({"quorum_leaders_per_node": leaders, "connections_closed": closed}, indent=2))


@insights.command("retrain")
def insights_retrain() -> None:
    """Learn the next-service patterns again from the requests database (REQUESTS_DATABASE_URL) now.

    Staff's decisions stay; new patterns are proposed, or approved when they meet staff's auto-approval bar.
    """
    from portal.insights import retrain_database

    configure_logging("portal-insights", "warning")
    run = asyncio.run(retrain_database())
    print(f"{run.patterns} patterns from {run.requests:,} completed requests of {run.citizens:,} citizens "
          f"in {run.seconds:.1f} s")


@calendar.command("holidays-table")
def calendar_holidays_table(first_year: Annotated[int, typer.Option()] = 2000,
                            last_year: Annotated[int, typer.Option()] = 2060) -> None:
    """Write Oman's public holidays of these years, from the `holidays` package, to the table the requests service
    reads (services/requests/domain/oman_holidays.json). Run after upgrading the package."""
    from portal.holiday_table import write_holiday_table
    from services.requests.domain.calendar import TABLE

    count = write_holiday_table(first_year, last_year)
    print(f"{count} public holidays of {first_year}-{last_year} written to {TABLE}")


if __name__ == "__main__":
    app()
