"""Key performance indicators per service, per ministry and in total, over a period of whole UTC days.

Definitions (the published contract of /api/v1/performance and the open data):
- started: requests submitted in the period; completed / cancelled: of those, how many are now completed /
  cancelled; completion_rate = completed ÷ (completed + cancelled).
- processing time: from submission to the `completed` change, in days counted in whole tenths of a day (2.4 hours;
  a started tenth not counted), over requests completed in the period: the median (the middle value, the mean of
  the two middle ones for an even count) and the 90th percentile (nearest rank: the smallest value with at least
  90 % of the values at or below it); one decimal.
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

Every figure is a sum over days: `contributions` says what one request or rating adds to the daily rollup
(per day and service), `from_rollup` computes the KPIs from those sums; `compute` is the same definitions read
straight from the requests (the rebuild path and the oracle the rollups are tested against).
"""

import bisect
import itertools
import math
import operator
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

# Processing tenths of a day as a dense histogram: the count of each bucket at its index. A period's has some
# hundreds of buckets, few enough for plain lists (numpy held 15 MB of the serving process for these sums).
Histogram = list[int]
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


# 1, 0.1, 0.01 ...: made once (a report rounds a few hundred figures).
_QUANTA = tuple(Decimal(1).scaleb(-places) for places in range(8))


def _round(value: float, places: int) -> float:
    return float(Decimal(repr(value)).quantize(_QUANTA[places], rounding=ROUND_HALF_UP))


def rate(part: int, whole: int) -> float | None:
    """part / whole to four places, a half rounded up: in integers, exactly as _round of the quotient would give it
    (a Decimal made for each of a report's few hundred rates was a fifth of the report's CPU)."""
    return None if whole == 0 else (2 * part * 10_000 + whole) // (2 * whole) / 10_000


def nearest_rank(values: Sequence[float], percentile: float) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(percentile / 100 * len(ordered)), 1) - 1]


def money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))


def processing_tenths(start: datetime, end: datetime) -> int:
    """Whole tenths of a day: the precision the figures are published with, and few enough distinct values that a
    month's rollup of them stays small."""
    return max(int((end - start).total_seconds() // 8640), 0)


def compute(facts: Facts, costs: Mapping[str, Costs], period: Period) -> Kpis:
    """The KPIs of one group of services (one service, one ministry, or all); `costs` are per service."""
    started = [r for r in facts.requests if period.holds(r.submitted_at)]
    completed = sum(r.status == "completed" for r in started)
    cancelled = sum(r.status == "cancelled" for r in started)
    done = [r for r in facts.requests if period.holds(r.completed_at)]
    tenths = [processing_tenths(r.submitted_at, r.completed_at) for r in done if r.completed_at is not None]
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
        median_processing_days=_round(statistics.median(tenths) / 10, 1) if tenths else None,
        p90_processing_days=_round(nearest_rank(tenths, 90) / 10, 1) if tenths else None,
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


TENTHS = "processing_tenths"


@dataclass(frozen=True)
class Contribution:
    """What one fact adds to the rollup of `day` for `service`: `value` to `metric` (and its `bucket`)."""

    day: date
    service: str
    ministry: str
    metric: str
    bucket: int
    value: int


def request_contributions(r: RequestFacts) -> list[Contribution]:
    def add(at: datetime, metric: str, value: int = 1, bucket: int = 0) -> Contribution:
        return Contribution(at.date(), r.service, r.ministry, metric, bucket, value)

    found = [add(r.submitted_at, "started")]
    if r.status in ("completed", "cancelled"):
        found.append(add(r.submitted_at, r.status))
    if r.completed_at is not None:
        found += [add(r.completed_at, "online_completed"),
                  add(r.completed_at, TENTHS, bucket=processing_tenths(r.submitted_at, r.completed_at))]
    if r.decided_at is not None:
        found.append(add(r.decided_at, "decided"))
        if r.decided_at <= r.due_on:
            found.append(add(r.decided_at, "on_time"))
    return found


def rating_contributions(r: RatingFacts) -> list[Contribution]:
    day = r.rated_at.date()
    found = [Contribution(day, r.service, r.ministry, "responses", 0, 1),
             Contribution(day, r.service, r.ministry, "score_sum", 0, r.score)]
    if r.score >= 4:
        found.append(Contribution(day, r.service, r.ministry, "high_scores", 0, 1))
    return found


def change(before: RequestFacts | None, after: RequestFacts) -> list[Contribution]:
    """What a request's change does to the rollup: its new contributions less its old ones, zeros left out."""
    totals: dict[tuple[date, str, str, str, int], int] = {}
    for sign, facts in ((-1, before), (1, after)):
        for c in request_contributions(facts) if facts is not None else []:
            key = (c.day, c.service, c.ministry, c.metric, c.bucket)
            totals[key] = totals.get(key, 0) + sign * c.value
    return [Contribution(*key, value) for key, value in totals.items() if value]


# The rollup's count metrics, each summed as it is; processing times are kept beside them as a histogram (TENTHS).
COUNTS = ("started", "completed", "cancelled", "online_completed", "decided", "on_time", "responses", "high_scores",
          "score_sum")


def add_histograms(a: Histogram, b: Histogram) -> Histogram:
    """The sum, a new list or one of the two (histograms are never changed in place)."""
    if not a or not b:
        return a or b
    if len(a) < len(b):
        a, b = b, a
    return [*map(operator.add, a, b), *a[len(b):]]


@dataclass
class Rollup:
    """The summed rollup of one group of services over a period: counts per metric, processing tenths of a day as
    a dense histogram, online completions per service (for costs)."""

    counts: dict[str, int] = field(default_factory=dict)
    tenths: Histogram = field(default_factory=list)
    online_by_service: dict[str, int] = field(default_factory=dict)

    def add(self, service: str, counts: Mapping[str, int], tenths: Histogram) -> None:
        for metric, value in counts.items():
            self.counts[metric] = self.counts.get(metric, 0) + value
        self.tenths = add_histograms(self.tenths, tenths)
        online = counts.get("online_completed", 0)
        if online:
            self.online_by_service[service] = self.online_by_service.get(service, 0) + online

    def merge(self, other: "Rollup") -> None:
        for metric, value in other.counts.items():
            self.counts[metric] = self.counts.get(metric, 0) + value
        self.tenths = add_histograms(self.tenths, other.tenths)
        for service, online in other.online_by_service.items():
            self.online_by_service[service] = self.online_by_service.get(service, 0) + online


def _histogram_median(cumulative: Histogram, total: int) -> float:
    def at(index: int) -> int:
        # The first bucket whose running count passes `index` holds the index-th smallest value.
        return bisect.bisect_right(cumulative, index)

    middle = total // 2
    return at(middle) if total % 2 else (at(middle - 1) + at(middle)) / 2


def _histogram_rank(cumulative: Histogram, total: int, percentile: float) -> int:
    """Nearest rank, as `nearest_rank`: the first bucket whose running count reaches ceil(p % of the total)."""
    return bisect.bisect_left(cumulative, max(math.ceil(percentile / 100 * total), 1))


def from_rollup(rollup: Rollup, channels: list[ChannelFacts], costs: Mapping[str, Costs]) -> Kpis:
    """The same KPIs as `compute`, from a period's summed rollup; `channels` and `costs` as for `compute`."""
    count = rollup.counts.get
    completed, cancelled = count("completed", 0), count("cancelled", 0)
    cumulative = list(itertools.accumulate(rollup.tenths))
    durations = cumulative[-1] if cumulative else 0
    responses = count("responses", 0)
    online = count("online_completed", 0)
    other = sum(c.completed for c in channels)
    cost, saving = _rollup_costs(rollup.online_by_service, channels, costs)
    return Kpis(
        started=count("started", 0), completed=completed, cancelled=cancelled,
        completion_rate=rate(completed, completed + cancelled),
        median_processing_days=_round(_histogram_median(cumulative, durations) / 10, 1) if durations else None,
        p90_processing_days=_round(_histogram_rank(cumulative, durations, 90) / 10, 1) if durations else None,
        sla_met_rate=rate(count("on_time", 0), count("decided", 0)),
        satisfaction=Satisfaction(
            responses=responses, csat=rate(count("high_scores", 0), responses),
            mean_score=_round(count("score_sum", 0) / responses, 2) if responses else None),
        online_completed=online, other_channel_completed=other, digital_take_up=rate(online, online + other),
        cost_per_transaction_omr=cost, estimated_saving_omr=saving)


def _rollup_costs(online_by_service: Mapping[str, int], channels: list[ChannelFacts], costs: Mapping[str, Costs]
                  ) -> tuple[str | None, str | None]:
    assessed = [s for s in sorted({s for s, n in online_by_service.items() if n} | {c.service for c in channels}
                                  | set(costs)) if s in costs]
    if not assessed:
        return None, None
    total, transactions, saving = Decimal(0), 0, Decimal(0)
    for service in assessed:
        online = online_by_service.get(service, 0)
        other = sum(c.completed for c in channels if c.service == service)
        price = costs[service]
        total += online * price.digital + other * price.manual
        transactions += online + other
        saving += online * max(price.manual - price.digital, Decimal(0))
    return (money(total / transactions) if transactions else None), money(saving)
