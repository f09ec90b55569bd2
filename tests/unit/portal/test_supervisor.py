"""In-process supervision (no-broker mode): what stops is started again, with backoff, until the portal stops."""

import asyncio

from portal.supervisor import Backoff, exit_status, keep_running


def test_the_delay_between_restarts_doubles_up_to_a_ceiling() -> None:
    backoff = Backoff(first=0.5, longest=4.0)
    assert [backoff.delay(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_an_exit_status_says_which_signal_killed_the_child() -> None:
    assert exit_status(-9) == "killed by SIGKILL"
    assert exit_status(3) == "exit code 3"


async def test_a_task_that_fails_or_stops_is_run_again_until_the_portal_stops() -> None:
    stopping = asyncio.Event()
    runs: list[int] = []

    async def flaky() -> None:
        runs.append(len(runs))
        if len(runs) == 1:
            raise RuntimeError("the port was taken")
        if len(runs) == 2:
            raise SystemExit(1)
        if len(runs) == 4:
            stopping.set()

    await asyncio.wait_for(keep_running("catalog", flaky, stopping=stopping,
                                        backoff=Backoff(first=0.001, longest=0.01)), timeout=5)
    assert runs == [0, 1, 2, 3]
