"""The `portal` command: run the portal, serve one service, onboard a ministry, simulate a ministry."""

import asyncio
import contextlib
import json
import os
import signal
from collections.abc import Coroutine
from typing import Annotated, Any

import httpx
import typer
import uvicorn

from portal import up
from portal.onboarding import dev_token, onboard_ministry
from shared.bus.admin import vhost_of
from shared.logging import configure_logging

app = typer.Typer(help="Unified Government Services Portal", no_args_is_help=True)
ministry = typer.Typer(help="Ministries: onboarding and credentials", no_args_is_help=True)
app.add_typer(ministry, name="ministry")


@app.command("up")
def up_command(no_broker: Annotated[bool, typer.Option(help="Run in one process on the in-memory bus")] = False
               ) -> None:
    """Start every service, seed the catalogue, start a simulated ministry; Ctrl-C stops everything."""
    configure_logging("portal")
    config = up.UpConfig.from_env()
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
def serve(service: Annotated[str, typer.Argument(help=", ".join(up.SERVICES))],
          host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve one service (what each process and each container runs)."""
    if service not in up.SERVICES:
        raise typer.BadParameter(f"choose one of {', '.join(up.SERVICES)}")
    uvicorn.run(f"services.{service}.app:create_app", factory=True, host=host, port=port,
                log_level="warning", access_log=False, timeout_graceful_shutdown=5)


@app.command("simulate-ministry")
def simulate_ministry() -> None:
    """Answer requests as the ministries in PORTAL_SIMULATOR_CREDENTIALS would, over their own broker users."""
    configure_logging("simulated-ministry", os.environ.get("PORTAL_LOG_LEVEL", "info"))
    credentials = json.loads(os.environ["PORTAL_SIMULATOR_CREDENTIALS"])
    asyncio.run(until_signalled(up.run_simulators(os.environ["PORTAL_AMQP_URL"], credentials,
                                  float(os.environ.get("PORTAL_SIMULATOR_DELAY", "1.0")))))


@ministry.command("onboard")
def onboard(code: str, name_en: Annotated[str, typer.Option("--name-en")],
            name_ar: Annotated[str, typer.Option("--name-ar")],
            gateway_url: Annotated[str, typer.Option(envvar="PORTAL_GATEWAY_URL")] = "http://127.0.0.1:8000",
            admin_token: Annotated[str | None, typer.Option(envvar="PORTAL_ADMIN_TOKEN")] = None) -> None:
    """Create the ministry, its API key and its broker user; print the credentials once."""
    config = up.UpConfig.from_env()

    async def run() -> None:
        admin = await up.broker_admin(config)
        try:
            async with httpx.AsyncClient(base_url=gateway_url, timeout=15.0) as gateway:
                token = admin_token or await dev_token(gateway)
                credentials = await onboard_ministry(gateway, token, code, {"ar": name_ar, "en": name_en}, admin)
        finally:
            await admin.close()
        print(f"Ministry {code} onboarded. These credentials are shown once; store them in your secret store.")
        print(f"  API key:        {credentials.api_key}")
        print(f"  broker user:    {credentials.broker_user}")
        print(f"  broker password: {credentials.broker_password}")
        print(f"  vhost:          {vhost_of(config.amqp_url)}")
        print(f"  reads queue:    ministry.{code}.inbox; publishes on portal.from-ministries, keys {code}.*")

    asyncio.run(run())



if __name__ == "__main__":
    app()
