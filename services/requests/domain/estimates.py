"""When an open request should be done: how long this service's past requests spent in each state.

Each state's typical time is the median of the times past requests spent in it. An open request is expected
to finish its current state (no earlier than now) and then take the typical time of every state still ahead
on the way to `completed` (approval assumed). With fewer than MIN_SAMPLES past stays in any of those states,
the service's due date is the estimate.
"""

import itertools
import statistics
from collections.abc import Iterable
from datetime import datetime, timedelta

MIN_SAMPLES = 5
AHEAD: dict[str, tuple[str, ...]] = {
    "submitted": ("submitted", "received", "in_review", "approved"),
    "received": ("received", "in_review", "approved"),
    "in_review": ("in_review", "approved"),
    "action_required": ("action_required", "in_review", "approved"),
    "approved": ("approved",),
    "rejected": ("rejected",),
}

Timeline = list[tuple[str, datetime]]


def stays(timelines: Iterable[Timeline]) -> dict[str, list[float]]:
    """Seconds spent in each state, from each request's applied changes in order."""
    spent: dict[str, list[float]] = {}
    for timeline in timelines:
        for (status, entered), (_, left) in itertools.pairwise(timeline):
            spent.setdefault(status, []).append((left - entered).total_seconds())
    return spent


def typical_stays(timelines: Iterable[Timeline], min_samples: int = MIN_SAMPLES) -> dict[str, float]:
    return {status: statistics.median(seconds) for status, seconds in stays(timelines).items()
            if len(seconds) >= min_samples}


def expected_completion(status: str, entered_at: datetime, due_on: datetime, now: datetime,
                        typical: dict[str, float]) -> datetime | None:
    """None for a closed request; the due date when the service's history is too thin (or now, once an
    overdue request has passed it: an expected date already gone tells the citizen nothing)."""
    ahead = AHEAD.get(status)
    if ahead is None:
        return None
    if any(state not in typical for state in ahead):
        return max(due_on, now)
    current, *later = ahead
    finish_current = max(now, entered_at + timedelta(seconds=typical[current]))
    return finish_current + timedelta(seconds=sum(typical[state] for state in later))
