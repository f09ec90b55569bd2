"""When an open request should be done: how long this service's past requests spent in each state.

Each state's typical time is the median of the working time (time on working days) past requests spent in
it. An open request is expected to finish its current state (no earlier than now) and then take the typical
time of every state still ahead on the way to `completed` (approval assumed), counted on working days. With
fewer than MIN_SAMPLES past stays in any of those states, the service's due date is the estimate.
"""

import itertools
import statistics
from collections.abc import Iterable
from datetime import datetime

from services.requests.domain.calendar import WorkingCalendar

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


def stays(timelines: Iterable[Timeline], calendar: WorkingCalendar) -> dict[str, list[float]]:
    """Working seconds spent in each state, from each request's applied changes in order."""
    spent: dict[str, list[float]] = {}
    for timeline in timelines:
        for (status, entered), (_, left) in itertools.pairwise(timeline):
            spent.setdefault(status, []).append(calendar.working_seconds_between(entered, left))
    return spent


def typical_stays(timelines: Iterable[Timeline], calendar: WorkingCalendar, min_samples: int = MIN_SAMPLES
                  ) -> dict[str, float]:
    return {status: statistics.median(seconds) for status, seconds in stays(timelines, calendar).items()
            if len(seconds) >= min_samples}


def expected_completion(status: str, entered_at: datetime, due_on: datetime, now: datetime,
                        typical: dict[str, float], calendar: WorkingCalendar) -> datetime | None:
    """None for a closed request; the due date when the service's history is too thin (or now, once an
    overdue request has passed it: an expected date already gone tells the citizen nothing)."""
    ahead = AHEAD.get(status)
    if ahead is None:
        return None
    if any(state not in typical for state in ahead):
        return max(due_on, now)
    current, *later = ahead
    finish_current = max(now, calendar.add_working_seconds(entered_at, typical[current]))
    return calendar.add_working_seconds(finish_current, sum(typical[state] for state in later))
