"""`portal up` (a requests worker per ministry if asked) on a private broker, its processes at hand for kill -9."""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from portal.up import SERVICES
from tests.chaos.broker import Broker
from tests.conftest import PG_ADMIN_DSN, SCRIPTED_LIMITS

READY = b"The portal is ready"
# What the chaos tier's citizens ask for: one electronic service of four simulated ministries.
LOAD_SERVICES: dict[str, tuple[str, dict[str, object]]] = {
    "rop": ("renew-driving-licence", {"licence_number": "DL12345", "delivery": "post", "phone": "91234567"}),
    "moh": ("book-health-centre-appointment", {"civil_number": "12345678", "health_centre": "Al Khuwair",
                                               "clinic": "dental", "preferred_date": "2027-01-10",
                                               "phone": "91234567"}),
    "mol": ("register-job-seeker", {"civil_number": "12345678", "highest_qualification": "bachelor",
                                    "governorate": "muscat", "phone": "91234567"}),
    "mocioi": ("renew-commercial-registration", {"cr_number": "1234567", "data_confirmed": True,
                                                 "email": "owner@example.om"}),
}


@dataclass
class ChaosPortal:
    broker: Broker
    run_dir: Path
    base_port: int
    database: str = "sqlite"
    simulator_delay: float = 0.4
    workers: bool = True
    _tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    _process: subprocess.Popen[bytes] | None = None

    @property
    def amqp_url(self) -> str:
        """Its own vhost, so runs on one broker (SQLite, then PostgreSQL) share no queue."""
        return f"{self.broker.amqp_url.rstrip('/')}/chaos-{self._tag}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.base_port}"

    @property
    def output(self) -> Path:
        return self.run_dir / "portal.log"

    def database_url(self, service: str) -> str:
        if self.database == "postgresql":
            return f"postgresql+asyncpg://postgres@127.0.0.1:5432/chaos_{self._tag}_{service}"
        return f"sqlite+aiosqlite:///{self.run_dir / 'data' / f'{service}.db'}"

    async def create_databases(self) -> None:
        if self.database != "postgresql":
            return
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            for service in SERVICES:
                await admin.execute(f'CREATE DATABASE "chaos_{self._tag}_{service}"')
        finally:
            await admin.close()

    async def drop_databases(self) -> None:
        if self.database != "postgresql":
            return
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            for service in SERVICES:
                await admin.execute(f'DROP DATABASE IF EXISTS "chaos_{self._tag}_{service}" WITH (FORCE)')
        finally:
            await admin.close()

    def start(self, within: float = 480.0) -> None:
        """Waits for "ready": on a loaded machine (load 20 on 2 cores) starting a dozen processes takes minutes."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        env = os.environ | {
            "PORTAL_AMQP_URL": self.amqp_url, "PORTAL_MANAGEMENT_URL": self.broker.management_url,
            "PORTAL_BASE_PORT": str(self.base_port), "PORTAL_RUN_DIR": str(self.run_dir),
            "PORTAL_SIMULATOR_DELAY": str(self.simulator_delay), "PORTAL_LOG_LEVEL": "warning",
        } | SCRIPTED_LIMITS
        if self.database == "postgresql":
            env["PORTAL_DATABASE_URL"] = self.database_url("{service}")
        with self.output.open("wb") as log:
            self._process = subprocess.Popen([sys.executable, "-m", "portal.cli", "up",
                                              *(["--workers"] if self.workers else [])], env=env,
                                             stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + within
        while READY not in self.output.read_bytes():
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("portal up did not become ready:\n" + self.tail())
            time.sleep(0.3)

    def stop(self) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()

    def tail(self, chars: int = 4000) -> str:
        return self.output.read_text(errors="replace")[-chars:] if self.output.exists() else "(no output)"

    def pid(self, child: str) -> int:
        return int((self.run_dir / "pids" / f"{child}.pid").read_text())

    def signal(self, child: str, sig: signal.Signals) -> None:
        os.kill(self.pid(child), sig)

    def ministry_key(self, code: str) -> str:
        return str(json.loads((self.run_dir / "ministries" / f"{code}.json").read_text())["api_key"])
