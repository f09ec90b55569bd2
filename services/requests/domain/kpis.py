"""Key performance indicators per service, per ministry and in total, over a period of whole UTC days.

Definitions (the published contract of /api/v1/performance and the open data):
- started: requests submitted in the period; completed / cancelled: of those, how many are now completed /
  cancelled; completion_rate = completed ÷ (completed + cancelled).
- processing time: from submission to the `completed` change, in days, over requests completed in the period:
  the median (the middle value, the mean of the two middle ones for an even count) and the 90th percentile
  (nearest rank: the smallest value with at least 90 % of the values at or below it); one decimal.
- sla_met_rate: of requests decided (approved or rejected) in the period, the share decided on or before
  their due date.
- satisfaction: ratings given in the period: responses, csat = share of 4s and 5s, mean_score (two decimals).
- online_completed: requests completed in the period through the portal; other_channel_completed: what the
  ministry reported for months whose first day is in the period; digital_take_up = online ÷ (online + other).
- cost_per_transaction_omr = (online × digital cost + other × manual cost) ÷ (online + other), with the costs
  of the service's latest readiness assessment; estimated_saving_omr = online × max(manual − digital, 0).
  Over a ministry or all services: the costs and transactions of the assessed services are summed, then
  divided; savings are summed. Without an assessed service both are null.
Rates are in 0..1 with four decimals, null when their denominator is 0; money is text with three decimals.
"""

import math
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

DECIDED = frozenset({"approved", "rejected"})


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def holds(self, at: datetime | date | None) -> bool:
        if at is None:
            return False
        day = at.date() if isinstance(at, datetime) else at
        return self.start <= day <= self.end


@dataclass(frozen=True)
class RequestFacts:
    service: str
    ministry: str
    status: str
    submitted_at: datetime
    due_on: datetime
    decided_at: datetime | None
    completed_at: datetime | None


@dataclass(frozen=True)
class RatingFacts:
    service: str
    ministry: str
    score: int
    rated_at: datetime


@dataclass(frozen=True)
class ChannelFacts:
    service: str
    ministry: str
    month: date
    completed: int


@dataclass(frozen=True)
class Costs:
    manual: Decimal
    digital: Decimal


@dataclass(frozen=True)
class Satisfaction:
    responses: int
    csat: float | None
    mean_score: float | None


@dataclass(frozen=True)
class Kpis:
    started: int
    completed: int
    cancelled: int
    completion_rate: float | None
    median_processing_days: float | None
    p90_processing_days: float | None
    sla_met_rate: float | None
    satisfaction: Satisfaction
    online_completed: int
    other_channel_completed: int
    digital_take_up: float | None
    cost_per_transaction_omr: str | None
    estimated_saving_omr: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "started": self.started, "completed": self.completed, "cancelled": self.cancelled,
            "completion_rate": self.completion_rate, "median_processing_days": self.median_processing_days,
            "p90_processing_days": self.p90_processing_days, "sla_met_rate": self.sla_met_rate,
            "satisfaction": {"responses": self.satisfaction.responses, "csat": self.satisfaction.csat,
                             "mean_score": self.satisfaction.mean_score},
            "online_completed": self.online_completed, "other_channel_completed": self.other_channel_completed,
            "digital_take_up": self.digital_take_up, "cost_per_transaction_omr": self.cost_per_transaction_omr,
            "estimated_saving_omr": self.estimated_saving_omr,
        }


@dataclass(frozen=True)
class Facts:
    requests: list[RequestFacts] = field(default_factory=list)
    ratings: list[RatingFacts] = field(default_factory=list)
    channels: list[ChannelFacts] = field(default_factory=list)


def _round(value: float, places: int) -> float:
    return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else _round(part / whole, 4)


def nearest_rank(values: list[float], percentile: float) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(percentile / 100 * len(ordered)), 1) - 1]


def money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))


def _days(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 86400


def compute(facts: Facts, costs: Mapping[str, Costs], period: Period) -> Kpis:
    """The KPIs of one group of services (one service, one ministry, or all); `costs` are per service."""
    started = [r for r in facts.requests if period.holds(r.submitted_at)]
    completed = sum(r.status == "completed" for r in started)
    cancelled = sum(r.status == "cancelled" for r in started)
    done = [r for r in facts.requests if period.holds(r.completed_at)]
    durations = [_days(r.submitted_at, r.completed_at) for r in done if r.completed_at is not None]
    decided = [r for r in facts.requests if period.holds(r.decided_at)]
    on_time = sum(r.decided_at is not None and r.decided_at <= r.due_on for r in decided)
    ratings = [r for r in facts.ratings if period.holds(r.rated_at)]
    channels = [c for c in facts.channels if period.holds(c.month)]
    online = len(done)
    other = sum(c.completed for c in channels)
    cost, saving = _costs(done, channels, costs)
    return Kpis(
        started=len(started), completed=completed, cancelled=cancelled,
        completion_rate=rate(completed, completed + cancelled),
        median_processing_days=_round(statistics.median(durations), 1) if durations else None,
        p90_processing_days=_round(nearest_rank(durations, 90), 1) if durations else None,
        sla_met_rate=rate(on_time, len(decided)),
        satisfaction=Satisfaction(
            responses=len(ratings), csat=rate(sum(r.score >= 4 for r in ratings), len(ratings)),
            mean_score=_round(statistics.fmean(r.score for r in ratings), 2) if ratings else None),
        online_completed=online, other_channel_completed=other, digital_take_up=rate(online, online + other),
        cost_per_transaction_omr=cost, estimated_saving_omr=saving)


def _costs(done: list[RequestFacts], channels: list[ChannelFacts], costs: Mapping[str, Costs]
           ) -> tuple[str | None, str | None]:
    assessed = [s for s in sorted({r.service for r in done} | {c.service for c in channels} | set(costs))
                if s in costs]
    if not assessed:
        return None, None
    total, transactions, saving = Decimal(0), 0, Decimal(0)
    for service in assessed:
        online = sum(r.service == service for r in done)
        other = sum(c.completed for c in channels if c.service == service)
        price = costs[service]
        total += online * price.digital + other * price.manual
        transactions += online + other
        saving += online * max(price.manual - price.digital, Decimal(0))
    return (money(total / transactions) if transactions else None), money(saving)


def group(facts: Facts, key: str, values: Iterable[str]) -> dict[str, Facts]:
    """The facts split by `service` or `ministry`, with an empty entry for each of `values`."""
    groups: dict[str, Facts] = {value: Facts() for value in values}
    for r in facts.requests:
        groups.setdefault(getattr(r, key), Facts()).requests.append(r)
    for rating in facts.ratings:
        groups.setdefault(getattr(rating, key), Facts()).ratings.append(rating)
    for channel in facts.channels:
        groups.setdefault(getattr(channel, key), Facts()).channels.append(channel)
    return groups
