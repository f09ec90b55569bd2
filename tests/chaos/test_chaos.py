"""Nothing lost, stuck or shown twice while services are killed, the broker restarts or a ministry's worker is down."""

import shutil

import pytest

from tests.chaos.broker import Broker
from tests.chaos.checks import Observer, Outcome
from tests.chaos.conftest import BASE_PORT, FULL, OUTCOMES, RUN_DIR, cluster_mode, scenarios
from tests.chaos.portal import ChaosPortal
from tests.chaos.scenarios import CONTROL_INDEX, WARM_UP, WARM_UP_INDEX, Target, run_scenario

# make test's 300 s per test is too tight for a loaded machine: the quick scenarios' waits are bounded themselves.
# make chaos runs for half an hour or more (a marker outranks its --timeout=0), so it has no ceiling.
pytestmark = [pytest.mark.chaos, pytest.mark.timeout(0 if FULL else 900)]


def record(outcome: Outcome, failures: list[str], database: str) -> list[str]:
    OUTCOMES.append((outcome, failures))
    return [f"{outcome.scenario} ({database}): {', '.join(failures)}"] if failures else []


async def test_every_accepted_request_completes_once_through_every_fault(broker: Broker, database: str) -> None:
    run_dir = RUN_DIR / database
    shutil.rmtree(run_dir, ignore_errors=True)
    # The quick scenarios and the cluster's fault no ministry's worker, so they run without a worker per ministry
    # (a faster start).
    portal = ChaosPortal(broker, run_dir, BASE_PORT, database=database, workers=FULL and cluster_mode() is None)
    await portal.create_databases()
    observer = Observer(portal)
    failed: list[str] = []
    try:
        portal.start()
        if FULL:
            # The first minute after a start is slower (connections, caches): not a fair baseline.
            await run_scenario(WARM_UP_INDEX, WARM_UP, Target(portal, broker), observer)
        first_p95: float | None = None
        for index, scenario in enumerate(scenarios()):
            control = scenario.control()
            baseline_p95: float | None = None
            if control is not None:
                checked = await run_scenario(CONTROL_INDEX + index, control, Target(portal, broker), observer)
                baseline_p95 = checked.p95_others_seconds
                failed += record(checked, checked.failures(), database)
            outcome = await run_scenario(index, scenario, Target(portal, broker), observer)
            if index == 0:
                first_p95 = outcome.p95_seconds
            # A ministry found only once the fault ran (a node loss's most stalled one) had no control run.
            if outcome.targeted:
                outcome.baseline_p95_seconds = first_p95 if baseline_p95 is None else baseline_p95
            failures = outcome.failures(outcome.baseline_p95_seconds)
            cluster = cluster_mode()
            if cluster is not None:
                failures += cluster.cluster_failures(broker, scenario.name)
            failed += record(outcome, failures, database)
    except BaseException:
        print(f"--- portal output (tail; all of it in {portal.output}) ---\n" + portal.tail())
        raise
    finally:
        portal.stop()
        await observer.close()
        await portal.drop_databases()
    assert not failed, "\n".join(failed)
