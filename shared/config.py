"""The settings every service shares; each service subclasses with its own env prefix."""

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

RUN_DIR = Path(".run")


def sqlite_url(service: str) -> str:
    return f"sqlite+aiosqlite:///{RUN_DIR / 'data' / f'{service}.db'}"


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    database_url: str
    # A broker URL (amqp://user:password@host/vhost), or memory:// for the in-process bus.
    amqp_url: str
    identity_public_key: str
    log_level: str = "info"
    outbox_poll_seconds: float = 1.0
    # Woken by a commit, the outbox relay waits this long for the commits right behind it to join its batch: at 140
    # submissions a second, 0.02 s took the requests service from 4.9 to 4.3 ms of CPU per submission and RabbitMQ
    # from 1.5 to 1.2 (fewer reads, marks and confirms); an event leaves at most 0.02 s later.
    outbox_linger_seconds: float = 0.02
    # Off where another process sharing the database relays its outbox (SQLite allows one relay per database).
    outbox_relay: bool = True
    prefetch: int = 32
    # Off in production: a pre-deploy Job runs `portal migrate` (deploy/k8s/base/migrations.yaml), so a long
    # migration never races a startup probe. `make run` migrates at start.
    migrate_on_start: bool = True
