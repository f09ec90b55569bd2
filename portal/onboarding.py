"""Onboarding a ministry (catalogue entry, API key, broker user) and seeding the catalogue, over the gateway."""

import json
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from shared.bus.admin import BrokerAdmin
from shared.bus.topology import DEFAULT_VHOST, ministry_broker_user
from shared.logging import get_logger

log = get_logger(__name__)
SEED = Path(__file__).parent / "seed"


def seed_ministries() -> list[dict[str, Any]]:
    ministries: list[dict[str, Any]] = json.loads((SEED / "ministries.json").read_text())
    return ministries


def seed_services(code: str) -> list[dict[str, Any]]:
    path = SEED / "services" / f"{code}.json"
    services: list[dict[str, Any]] = json.loads(path.read_text()) if path.exists() else []
    return services


def seed_summary() -> str:
    ministries = seed_ministries()
    services = sum(len(seed_services(m["code"])) for m in ministries)
    return f"{len(ministries)} ministries and {services} services"


@dataclass(frozen=True)
class MinistryCredentials:
    code: str
    api_key: str
    broker_user: str
    broker_password: str
    # Handled by its staff in the portal's workspace: no system of its own answers its queue.
    workspace: bool = False


class OnboardingError(Exception):
    pass


async def dev_token(gateway: httpx.AsyncClient, role: str = "admin", ministry: str | None = None) -> str:
    response = await gateway.post("/api/v1/auth/dev-token", json={
        "national_id": "90000001", "name": "Portal operator", "lang": "en", "role": role, "ministry": ministry})
    if response.status_code != 200:
        raise OnboardingError(f"development sign-in refused: {response.status_code} {response.text[:200]}")
    return str(response.json()["access_token"])


async def onboard_ministry(gateway: httpx.AsyncClient, admin_token: str, code: str, name: dict[str, str],
                           broker: BrokerAdmin | None, saved: Path | None = None, *, workspace: bool = False,
                           vhost: str = DEFAULT_VHOST) -> MinistryCredentials:
    """Create the ministry; with `saved`, reuse credentials kept from an earlier run of the same portal.

    Without `broker` someone else creates the broker user (the Topology Operator), named for `vhost`."""
    if saved is not None and (kept := _load(saved)) is not None:
        return kept
    response = await gateway.post("/api/v1/admin/ministries", json={"code": code, "name": name,
                                                                    "workspace": workspace},
                                  headers={"Authorization": f"Bearer {admin_token}"})
    if response.status_code != 201:
        raise OnboardingError(f"onboarding {code} failed: {response.status_code} {response.text[:300]}")
    password = secrets.token_urlsafe(24)
    user = await broker.onboard_ministry(code, password) if broker else ministry_broker_user(code, vhost)
    credentials = MinistryCredentials(code, response.json()["api_key"], user, password, workspace)
    if saved is not None:
        _keep(saved, credentials)
    log.info("ministry_onboarded", ministry=code)
    return credentials


def _load(saved: Path) -> MinistryCredentials | None:
    return MinistryCredentials(**json.loads(saved.read_text())) if saved.exists() else None


def _keep(saved: Path, credentials: MinistryCredentials) -> None:
    saved.parent.mkdir(parents=True, exist_ok=True)
    saved.write_text(json.dumps(asdict(credentials)))
    saved.chmod(0o600)


async def seed_catalogue(gateway: httpx.AsyncClient, admin_token: str, broker: BrokerAdmin | None,
                         run_dir: Path) -> list[MinistryCredentials]:
    onboarded = []
    for ministry in seed_ministries():
        credentials = await onboard_ministry(gateway, admin_token, ministry["code"], ministry["name"], broker,
                                             run_dir / "ministries" / f"{ministry['code']}.json",
                                             workspace=bool(ministry.get("workspace")))
        onboarded.append(credentials)
        keys = {"Authorization": f"Bearer {credentials.api_key}"}
        for service in seed_services(ministry["code"]):
            response = await gateway.post("/api/v1/ministry/services", json=service, headers=keys)
            if response.status_code not in (201, 409):
                raise OnboardingError(f"seeding {service['slug']} failed: {response.status_code} "
                                      f"{response.text[:300]}")
    return onboarded
