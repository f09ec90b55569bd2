"""Cluster mode of the chaos tier (CLUSTER=3): three private RabbitMQ nodes clustered on this host, HAProxy in front
on one AMQP port (as the k8s Service balances), the portal on it, and the faults a cluster is for: kill -9 of the
node leading most queues, of the node holding the clients, and loss of the majority.

After each node loss the node comes back and is rebalanced as the runbook says (deploy/k8s/README.md, "The RabbitMQ
cluster"): queue leaders and client connections must end up on every node again.
"""

import asyncio
import itertools
import os
import shutil
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import text
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_fixed

from portal.up import BACKENDS
from shared.bus.rebalance import ClusterRebalancer
from shared.db.engine import engine_for
from tests.chaos.broker import RABBITMQ_BIN, PrivateNode, port_open
from tests.chaos.portal import ChaosPortal
from tests.chaos.scenarios import BASELINE, Scenario, Target

NODES = 3
BASE_AMQP = int(os.environ.get("CHAOS_AMQP_PORT", "5700"))
BASE_MANAGEMENT = int(os.environ.get("CHAOS_MANAGEMENT_PORT", "15700"))
BASE_DIST = int(os.environ.get("CHAOS_DIST_PORT", "25700"))
NODE_NAME = os.environ.get("CHAOS_NODE_NAME", "chaos-portal")
# HAProxy's fronts sit 20 ports above the nodes' first ports (5730 and 15730 for nodes on 5710-5712).
FRONT_AMQP = int(os.environ.get("CHAOS_FRONT_AMQP_PORT", str(BASE_AMQP + 20)))
FRONT_MANAGEMENT = int(os.environ.get("CHAOS_FRONT_MANAGEMENT_PORT", str(BASE_MANAGEMENT + 20)))
NODE_DOWN_SECONDS = 60.0
# A killed node's restart and the rebalance after it (measured: 30-40 s on this 2-core machine under load), so that a
# node loss's control run lasts about as long as the loss.
NODE_RETURN_SECONDS = 35.0
MAJORITY_DOWN_SECONDS = 30.0
# A node loss may hold a ministry up while its clients reconnect and queues elect new leaders, no longer.
MAX_MINISTRY_STALL_SECONDS = 5.0

HAPROXY_CONFIG = """global
    daemon
    pidfile {pidfile}
    maxconn 2000

defaults
    mode tcp
    timeout connect 2s
    timeout client 3h
    timeout server 3h
    retries 3
    option redispatch

frontend amqp
    bind 127.0.0.1:{front_amqp}
    default_backend nodes

backend nodes
    # A new connection goes to the node with the fewest, so reconnecting clients spread over the living nodes;
    # a node found dead has its sessions cut at once, so its clients reconnect instead of waiting on a heartbeat.
    balance leastconn
    # A node just killed holds no connection, so leastconn sends it every reconnecting client until its health
    # checks fail; a refused connection then waited 1 s per retry and moved to another node only at the last
    # one. Instead: the first refusal marks the node down (observe layer4) and the retry goes elsewhere at once.
    option redispatch 1
    retries 2
    default-server inter 1s fastinter 250ms fall 2 rise 2 on-marked-down shutdown-sessions
    default-server observe layer4 error-limit 1 on-error mark-down
{amqp_servers}

frontend management
    bind 127.0.0.1:{front_management}
    default_backend management_nodes

backend management_nodes
    balance roundrobin
    option redispatch 1
    default-server inter 1s fastinter 250ms fall 2 rise 2 observe layer4 error-limit 1 on-error mark-down
{management_servers}
"""


def haproxy_binary() -> str:
    found = shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None)
    if found is None:
        raise RuntimeError("HAProxy is not installed: `make chaos CLUSTER=3` installs it (apt-get install haproxy)")
    return found


@dataclass
class ClusterNode(PrivateNode):
    cookie: str = ""

    def _prepare(self) -> None:
        super()._prepare()
        cookie = self.home / ".erlang.cookie"
        if not cookie.exists():
            cookie.write_text(self.cookie)
            cookie.chmod(0o400)

    def launch(self) -> None:
        """Start without waiting: a node that went down before its peers waits for them to boot (so a lost
        majority's nodes must be started together)."""
        if port_open(self.amqp_port):
            return
        self._prepare()
        subprocess.run([str(RABBITMQ_BIN / "rabbitmq-server"), "-detached"], env=self._env(), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def wait_up(self, within: float = 180.0) -> None:
        deadline = time.monotonic() + within
        while not (port_open(self.amqp_port) and port_open(self.management_port)):
            if time.monotonic() > deadline:
                raise RuntimeError(f"RabbitMQ node {self.node} did not start; see {self.home / 'log'}")
            time.sleep(0.3)


@dataclass(frozen=True)
class Stall:
    seconds: float
    ministry: str
    after_fault_seconds: float
    """When the longest gap began, counted from the fault."""


@dataclass
class ClusterBroker:
    """Three nodes and HAProxy; `amqp_url` and `management_url` are HAProxy's fronts."""

    home: Path
    nodes: list[ClusterNode] = field(default_factory=list)
    stalls: dict[str, Stall] = field(default_factory=dict)
    spread: dict[str, tuple[int, int]] = field(default_factory=dict)
    readiness: dict[str, tuple[int, str, str]] = field(default_factory=dict)
    """What the requests service's /readyz said while the majority was lost: status code, bus, bus_writes."""

    def __post_init__(self) -> None:
        # Absolute: a node resolves a relative log directory against its own working directory.
        self.home = self.home.resolve()
        cookie = f"CHAOS{os.getpid()}{int(time.time())}"
        self.nodes = [ClusterNode(f"{NODE_NAME}-{i + 1}", self.home / f"node{i + 1}", BASE_AMQP + i,
                                  BASE_MANAGEMENT + i, BASE_DIST + i, cookie=cookie) for i in range(NODES)]

    @property
    def amqp_url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{FRONT_AMQP}/"

    @property
    def management_url(self) -> str:
        return f"http://127.0.0.1:{FRONT_MANAGEMENT}"

    def start(self) -> None:
        first, *others = self.nodes
        first.start()
        for node in others:
            node.start()
            for args in (("stop_app",), ("join_cluster", first.node), ("start_app",)):
                done = node.ctl(*args, timeout=120)
                if done.returncode != 0:
                    raise RuntimeError(f"{node.node} {' '.join(args)}: {done.stdout} {done.stderr}")
        self._start_haproxy()

    def _start_haproxy(self) -> None:
        config = self.home / "haproxy.cfg"
        config.write_text(HAPROXY_CONFIG.format(
            pidfile=self.home / "haproxy.pid", front_amqp=FRONT_AMQP, front_management=FRONT_MANAGEMENT,
            amqp_servers="\n".join(f"    server {n.name} 127.0.0.1:{n.amqp_port} check" for n in self.nodes),
            management_servers="\n".join(f"    server {n.name} 127.0.0.1:{n.management_port} check"
                                         for n in self.nodes)))
        subprocess.run([haproxy_binary(), "-f", str(config)], check=True)
        deadline = time.monotonic() + 10
        while not port_open(FRONT_AMQP):
            if time.monotonic() > deadline:
                raise RuntimeError("HAProxy did not start")
            time.sleep(0.1)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    def destroy(self) -> None:
        pid_file = self.home / "haproxy.pid"
        if pid_file.exists():
            for pid in pid_file.read_text().split():
                subprocess.run(["kill", pid], check=False)
        for node in self.nodes:
            node.destroy()

    def node_named(self, erlang_name: str) -> ClusterNode:
        return next(n for n in self.nodes if n.node == erlang_name)

    def rebalancer(self, vhost: str | None = None) -> ClusterRebalancer:
        return ClusterRebalancer(self.management_url, "guest", "guest", vhost)


def start_broker(home: Path) -> ClusterBroker:
    broker = ClusterBroker(home)
    broker.start()
    return broker


async def _busiest(target: Target, of: str) -> ClusterNode:
    broker = target.broker
    assert isinstance(broker, ClusterBroker)
    rebalancer = broker.rebalancer(target.portal.amqp_url.rsplit("/", 1)[-1])
    try:
        if of == "leaders":
            counts = Counter(await rebalancer.leaders_per_node())
        else:
            counts = Counter({node: len(names) for node, names in (await rebalancer.connections_per_node()).items()})
    finally:
        await rebalancer.close()
    return broker.node_named(counts.most_common(1)[0][0])


async def _rebalanced(target: Target, name: str) -> None:
    """The runbook's step after a node returns; then leaders and clients must sit on every node."""
    broker = target.broker
    assert isinstance(broker, ClusterBroker)
    # HAProxy sends nothing to a returning node before two health checks pass (inter 1s, rise 2): clients moved
    # sooner would land on the other nodes again.
    await asyncio.sleep(4.0)
    rebalancer = broker.rebalancer(target.portal.amqp_url.rsplit("/", 1)[-1])
    # A node just back may drop management calls (HAProxy may send them there, or reuse a connection a node
    # closed): each call is tried again.
    retried = AsyncRetrying(retry=retry_if_exception_type(httpx.HTTPError), stop=stop_after_attempt(10),
                            wait=wait_fixed(3.0), reraise=True)
    try:
        await retried(rebalancer.rebalance_leaders)
        await retried(rebalancer.spread_connections)
        await asyncio.sleep(5.0)
        leaders: dict[str, int] = await retried(rebalancer.leaders_per_node)
        clients: dict[str, list[str]] = await retried(rebalancer.connections_per_node)
    finally:
        await rebalancer.close()
    broker.spread[name] = (len(leaders), len([n for n, names in clients.items() if names]))


async def _ministry_stall(target: Target, since: datetime, until: datetime) -> Stall:
    """The longest any ministry went without a status change applied to one of its requests while the fault
    lasted (the load keeps every ministry busy throughout, so a gap is a stall)."""
    engine = engine_for(target.portal.database_url("requests"))
    try:
        async with engine.connect() as connection:
            rows = (await connection.execute(text(
                "SELECT r.ministry, h.at FROM request_history h JOIN requests r "
                "ON r.tracking_number = h.tracking_number WHERE h.applied = 1 AND h.at >= :since AND h.at <= :until "
                "ORDER BY r.ministry, h.at"), {"since": since, "until": until})).all()
    finally:
        await engine.dispose()
    moments: dict[str, list[datetime]] = {}
    for ministry, at in rows:
        moment = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
        moments.setdefault(str(ministry), []).append(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    longest = Stall(0.0, "-", 0.0)
    for ministry, ministry_moments in moments.items():
        for a, b in itertools.pairwise([since, *ministry_moments, until]):
            if (b - a).total_seconds() > longest.seconds:
                longest = Stall((b - a).total_seconds(), ministry, (a - since).total_seconds())
    return longest


def node_loss(of: str, name: str):  # type: ignore[no-untyped-def]
    async def fault(target: Target) -> str:
        broker = target.broker
        assert isinstance(broker, ClusterBroker)
        victim = await _busiest(target, of)
        started = datetime.now(UTC)
        victim.kill()
        await asyncio.sleep(NODE_DOWN_SECONDS)
        ended = datetime.now(UTC)
        await asyncio.to_thread(victim.launch)
        await asyncio.to_thread(victim.wait_up)
        stall = broker.stalls[name] = await _ministry_stall(target, started, ended)
        await _rebalanced(target, name)
        # The ministry the loss held up longest is the one it hit; the others' p95 must stay near its control run's.
        return stall.ministry
    return fault


async def no_fault(target: Target) -> None:
    """The no-fault run, with its longest ministry gap measured as a node loss's is: what the machine's own load
    makes of a stall, to read the node losses' against."""
    broker = target.broker
    assert isinstance(broker, ClusterBroker)
    started = datetime.now(UTC)
    await BASELINE.fault(target)
    broker.stalls[BASELINE.name] = await _ministry_stall(target, started, datetime.now(UTC))


async def _readiness(portal: ChaosPortal, service: str) -> tuple[int, str, str]:
    try:
        async with httpx.AsyncClient(timeout=10.0) as client:
            response = await client.get(f"http://127.0.0.1:{portal.base_port + 1 + BACKENDS.index(service)}/readyz")
    except httpx.HTTPError as exc:
        return 0, type(exc).__name__, "unanswered"
    body = response.json()
    return (response.status_code, str(body.get("checks", {}).get("bus")),
            str(body.get("detail", {}).get("bus_writes", {}).get("status")))


async def majority_loss(target: Target) -> None:
    broker = target.broker
    assert isinstance(broker, ClusterBroker)
    _, *two = broker.nodes
    await asyncio.gather(*(asyncio.to_thread(node.stop) for node in two))
    # Long enough for publishes to time out (10 s each): the connection stays open while nothing is confirmed.
    await asyncio.sleep(MAJORITY_DOWN_SECONDS * 2 / 3)
    broker.readiness[MAJORITY_LOSS] = await _readiness(target.portal, "requests")
    await asyncio.sleep(MAJORITY_DOWN_SECONDS / 3)
    for node in two:
        await asyncio.to_thread(node.launch)
    await asyncio.gather(*(asyncio.to_thread(node.wait_up) for node in two))
    await _rebalanced(target, MAJORITY_LOSS)


LEADER_LOSS = "kill -9 node leading most queues (60 s)"
CLIENT_LOSS = "kill -9 node holding the clients (60 s)"
MAJORITY_LOSS = "loss of majority: two nodes stopped (30 s)"
NODE_LOSSES = (LEADER_LOSS, CLIENT_LOSS)
SCENARIOS = (
    Scenario(BASELINE.name, no_fault),
    # A node loss lasts ten times the no-fault run: while the machine's load holds the portal near its capacity, a
    # backlog grows with the length of a run, fault or not, so each loss is judged against a control run as long.
    Scenario(LEADER_LOSS, node_loss("leaders", LEADER_LOSS), controlled=True,
             fault_seconds=NODE_DOWN_SECONDS + NODE_RETURN_SECONDS),
    Scenario(CLIENT_LOSS, node_loss("clients", CLIENT_LOSS), controlled=True,
             fault_seconds=NODE_DOWN_SECONDS + NODE_RETURN_SECONDS),
    Scenario(MAJORITY_LOSS, majority_loss),
)


def cluster_failures(broker: ClusterBroker, scenario: str) -> list[str]:
    """What a cluster scenario must also hold: no ministry stalled long by a node loss, load spread again."""
    found = []
    stall = broker.stalls.get(scenario)
    if stall is not None:
        print(f"cluster: {scenario}: longest ministry stall {stall.seconds:.1f} s ({stall.ministry}, "
              f"from {stall.after_fault_seconds:.1f} s into the fault)")
    if scenario in broker.spread:
        leaders, clients = broker.spread[scenario]
        print(f"cluster: {scenario}: after rebalancing, queue leaders on {leaders} node(s), clients on {clients} "
              f"node(s)")
    if scenario in NODE_LOSSES and stall is not None and stall.seconds > MAX_MINISTRY_STALL_SECONDS:
        found.append(f"{stall.ministry} stalled {stall.seconds:.1f}s > {MAX_MINISTRY_STALL_SECONDS:.0f}s")
    if scenario in broker.readiness:
        code, bus, writes = broker.readiness[scenario]
        print(f"cluster: {scenario}: the requests service's /readyz said {code}, bus {bus}, bus_writes {writes}")
        # The broker still holds the connection but confirms nothing: the pod stays in service and says so.
        if (code, writes) != (200, "failing"):
            found.append(f"/readyz during the lost majority: {code}, bus_writes {writes} (expected 200, failing)")
    leaders_on, clients_on = broker.spread.get(scenario, (NODES, NODES))
    if leaders_on < NODES or clients_on < NODES:
        found.append(f"after rebalancing, leaders on {leaders_on} node(s), clients on {clients_on} node(s)")
    return found
