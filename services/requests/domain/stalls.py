"""Stalled requests: no status change for longer than the expected step time, so nothing waits unseen.

A step's expected time is STALL_FACTOR times the median time this service's past requests spent in that status
(the per-state medians that expected completion uses, in working time), never less than the floor; with too little
history for a median, DEFAULT_STEP stands in. The time waited is counted in working time too, so a weekend or a
holiday never stalls a request. Only statuses where the ministry has to act can stall: a request waiting for the
citizen (action_required) is not the ministry's delay.
"""

from datetime import timedelta

STALLABLE = frozenset({"submitted", "received", "in_review", "approved", "rejected"})
STALL_FACTOR = 3.0
DEFAULT_STEP = timedelta(days=1)


def expected_step(status: str, typical: dict[str, float], floor: timedelta) -> timedelta:
    median = typical.get(status)
    step = DEFAULT_STEP if median is None else timedelta(seconds=median * STALL_FACTOR)
    return max(step, floor)


def is_stalled(status: str, waited: timedelta, typical: dict[str, float], floor: timedelta) -> bool:
    return status in STALLABLE and waited > expected_step(status, typical, floor)
