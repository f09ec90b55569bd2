"""The faults of the chaos tier and the timeline each runs on: load, fault, load again, then everything settles."""

import asyncio
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from tests.chaos.broker import Broker
from tests.chaos.checks import Observer, Outcome
from tests.chaos.load import Load
from tests.chaos.portal import ChaosPortal

LEAD_SECONDS = 5.0
TRAIL_SECONDS = 5.0
# A ministry's fault is judged by the others' requests while its backlog drains: the load goes on this long after the
# fault, so that those requests are a good part of the population, not the last few the p95 never sees.
RECOVERY_TRAIL_SECONDS = 30.0
SETTLE_SECONDS = 240.0
CITIZENS_PER_SCENARIO = 20


@dataclass(frozen=True)
class Target:
    portal: ChaosPortal
    broker: Broker


# A fault may name the ministry it hit hardest (found only once it ran, as a node loss's most stalled ministry):
# the other ministries' p95 is then held to its control run's (or the no-fault run's), as for a targeted scenario.
Fault = Callable[[Target], Awaitable[str | None]]


@dataclass(frozen=True)
class Scenario:
    name: str
    fault: Fault
    targeted: str | None = None
    quick: bool = False
    """Part of `make test` (the rest runs in `make chaos`)."""
    fault_seconds: float = 0.0
    """How long the fault lasts: a targeted scenario's control run waits as long with no fault."""
    controlled: bool = False
    """Give it a control run although it names no ministry beforehand (a node loss names the ministry it held up
    once it ran): its other ministries' p95 is then judged against a no-fault run of the same length."""

    @property
    def trail_seconds(self) -> float:
        return RECOVERY_TRAIL_SECONDS if self.targeted else TRAIL_SECONDS

    def control(self) -> "Scenario | None":
        """For a fault aimed at one ministry: the same timeline and load with no fault, run just before it, against
        which the other ministries' p95 is judged (the machine's load drifts over a run; a baseline taken minutes
        earlier, over another timeline, measured the drift as much as the fault)."""
        if self.targeted is None and not self.controlled:
            return None
        return Scenario(f"{self.name}: control", pause(self.fault_seconds), targeted=self.targeted,
                        fault_seconds=self.fault_seconds)


def kill_9(child: str) -> Fault:
    async def fault(target: Target) -> None:
        target.portal.signal(child, signal.SIGKILL)
    return fault


def pause(seconds: float) -> Fault:
    async def fault(_: Target) -> None:
        await asyncio.sleep(seconds)
    return fault


no_fault = pause(10.0)


async def broker_restart(target: Target) -> None:
    await asyncio.to_thread(target.broker.stop)
    await asyncio.to_thread(target.broker.start)


def broker_outage(seconds: float) -> Fault:
    async def fault(target: Target) -> None:
        await asyncio.to_thread(target.broker.stop)
        await asyncio.sleep(seconds)
        await asyncio.to_thread(target.broker.start)
    return fault


def worker_down(ministry: str, seconds: float) -> Fault:
    """The ministry's requests worker frozen (SIGSTOP): its consumer holds messages until the broker drops it."""
    async def fault(target: Target) -> None:
        target.portal.signal(f"worker-{ministry}", signal.SIGSTOP)
        try:
            await asyncio.sleep(seconds)
        finally:
            target.portal.signal(f"worker-{ministry}", signal.SIGCONT)
    return fault


BASELINE = Scenario("no fault", no_fault)
WARM_UP = Scenario("warm-up", no_fault)
WARM_UP_INDEX = 99
# Citizens of a control run: its scenario's index plus this, so no two runs share a citizen.
CONTROL_INDEX = 50
SINGLE_NODE = (
    BASELINE,
    Scenario("kill -9 requests", kill_9("requests")),
    Scenario("kill -9 simulated ministry", kill_9("simulator"), quick=True),
    Scenario("kill -9 notifications", kill_9("notifications")),
    Scenario("kill -9 catalog", kill_9("catalog")),
    Scenario("kill -9 search", kill_9("search")),
    Scenario("kill -9 gateway", kill_9("gateway")),
    Scenario("kill -9 worker rop", kill_9("worker-rop"), targeted="rop"),
    Scenario("broker restart", broker_restart, quick=True),
    Scenario("broker outage 60 s", broker_outage(60.0)),
    Scenario("worker rop down 120 s", worker_down("rop", 120.0), targeted="rop", fault_seconds=120.0),
)


async def run_scenario(index: int, scenario: Scenario, target: Target, observer: Observer) -> Outcome:
    load = Load(target.portal.url, [f"7{index:02d}{i:05d}" for i in range(CITIZENS_PER_SCENARIO)])
    stop = asyncio.Event()
    loading = asyncio.create_task(load.run_until(stop))
    await asyncio.sleep(LEAD_SECONDS)
    started = time.monotonic()
    hit = await scenario.fault(target)
    fault_ended, fault_seconds = datetime.now(UTC), time.monotonic() - started
    await asyncio.sleep(scenario.trail_seconds)
    stop.set()
    await loading
    await observer.settle(load, SETTLE_SECONDS)
    outcome = await observer.outcome(scenario.name, load, fault_ended, scenario.targeted or hit)
    outcome.notes.append(f"fault {fault_seconds:.0f}s")
    return outcome
