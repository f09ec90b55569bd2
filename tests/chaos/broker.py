"""Private RabbitMQ nodes for fault injection, beside the machine's shared broker (own ports, name, data, cookie)."""

import contextlib
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

RABBITMQ_BIN = Path(os.environ.get("CHAOS_RABBITMQ_BIN", "/usr/lib/rabbitmq/bin"))


class Broker(Protocol):
    """What a scenario may do to the bus; a single node here, a cluster behind HAProxy in cluster mode."""

    amqp_url: str
    management_url: str

    def start(self) -> None: ...

    def stop(self) -> None:
        """Stop it cleanly (the data stays): an outage, or the first half of a restart."""

    def destroy(self) -> None:
        """Stop it and remove its data: the end of a chaos run."""


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class PrivateNode:
    """One RabbitMQ node with the management plugin, under `home` (its data, logs, config and Erlang cookie)."""

    name: str
    home: Path
    amqp_port: int
    management_port: int
    dist_port: int

    @property
    def node(self) -> str:
        return f"{self.name}@localhost"

    @property
    def amqp_url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.amqp_port}/"

    @property
    def management_url(self) -> str:
        return f"http://127.0.0.1:{self.management_port}"

    def _env(self) -> dict[str, str]:
        return os.environ | {
            "HOME": str(self.home), "RABBITMQ_NODENAME": self.node, "RABBITMQ_NODE_PORT": str(self.amqp_port),
            "RABBITMQ_DIST_PORT": str(self.dist_port), "RABBITMQ_CONFIG_FILE": str(self.home / "rabbitmq"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.home / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(self.home / "mnesia"), "RABBITMQ_LOG_BASE": str(self.home / "log"),
            "RABBITMQ_CONF_ENV_FILE": str(self.home / "rabbitmq-env.conf"),
            "RABBITMQ_PID_FILE": str(self.home / "rabbitmq.pid"),
        }

    def _prepare(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = {self.amqp_port}\nmanagement.tcp.port = {self.management_port}\n"
            "loopback_users = none\n")
        (self.home / "enabled_plugins").write_text("[rabbitmq_management].\n")
        (self.home / "rabbitmq-env.conf").write_text("")

    def start(self, within: float = 90.0) -> None:
        if port_open(self.amqp_port):
            raise RuntimeError(f"port {self.amqp_port} is taken: is another chaos node running? (CHAOS_AMQP_PORT)")
        self._prepare()
        subprocess.run([str(RABBITMQ_BIN / "rabbitmq-server"), "-detached"], env=self._env(), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + within
        while not (port_open(self.amqp_port) and port_open(self.management_port)):
            if time.monotonic() > deadline:
                raise RuntimeError(f"RabbitMQ node {self.node} did not start; see {self.home / 'log'}")
            time.sleep(0.3)

    def ctl(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(RABBITMQ_BIN / "rabbitmqctl"), "-n", self.node, *args], env=self._env(),
                              capture_output=True, text=True, timeout=timeout, check=False)

    def stop(self) -> None:
        """A clean stop; a node that does not stop within a minute is killed, so none outlives its run."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.ctl("stop", timeout=60)
        deadline = time.monotonic() + 30
        while port_open(self.amqp_port) and time.monotonic() < deadline:
            time.sleep(0.2)
        if port_open(self.amqp_port):
            self.kill()
            while port_open(self.amqp_port) and time.monotonic() < deadline + 30:
                time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL the node's Erlang VM, as a crashed host would."""
        pid_file = self.home / "rabbitmq.pid"
        if pid_file.exists():
            subprocess.run(["kill", "-9", pid_file.read_text().strip()], check=False)

    def destroy(self) -> None:
        if port_open(self.amqp_port):
            self.stop()
        shutil.rmtree(self.home, ignore_errors=True)
