from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Select, Table, and_, delete, func, literal, or_, select, union_all, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from services.requests.domain import OPEN_STATUSES
from services.requests.domain.kpis import (
    COUNTS,
    TENTHS,
    ChannelFacts,
    Contribution,
    Costs,
    Facts,
    Histogram,
    Period,
    RatingFacts,
    RequestFacts,
    add_histograms,
    rating_contributions,
    request_contributions,
)
from services.requests.store.overdue import overdue
from services.requests.store.tables import (
    channel_counts,
    history,
    kpi_days,
    kpi_months,
    ratings,
    readiness,
    requests,
)
from shared.db import UnitOfWork


@dataclass(frozen=True)
class RatingRow:
    tracking_number: str
    score: int
    comment: str | None
    rated_at: datetime


@dataclass(frozen=True)
class Decision:
    service: str
    officer: str | None
    officer_name: str | None
    submitted_at: datetime
    decided_at: datetime


@dataclass(frozen=True)
class OpenRequest:
    service: str
    assignee: str | None
    assignee_name: str | None
    overdue: bool


def _within(column: ColumnElement[datetime], start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(column >= start, column < end)


def _bounds(period: Period) -> tuple[datetime, datetime]:
    return (datetime.combine(period.start, time(), UTC),
            datetime.combine(period.end + timedelta(days=1), time(), UTC))


class Ratings:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def add(self, tracking_number: str, service: str, ministry: str, score: int, comment: str | None,
                  at: datetime) -> bool:
        """False when the request is already rated."""
        connection = self._uow.connection
        if await self.of_request(tracking_number) is not None:
            return False
        try:
            async with connection.begin_nested():
                await connection.execute(ratings.insert().values(
                    tracking_number=tracking_number, service=service, ministry=ministry, score=score,
                    comment=comment, rated_at=at))
        except IntegrityError:
            return False
        await KpiRollups(self._uow).add(rating_contributions(RatingFacts(service, ministry, score, at)))
        return True

    async def of_request(self, tracking_number: str) -> RatingRow | None:
        row = (await self._uow.connection.execute(
            select(ratings).where(ratings.c.tracking_number == tracking_number))).first()
        return RatingRow(row.tracking_number, row.score, row.comment, row.rated_at) if row else None

    async def of_requests(self, tracking_numbers: list[str]) -> dict[str, RatingRow]:
        if not tracking_numbers:
            return {}
        rows = await self._uow.connection.execute(
            select(ratings).where(ratings.c.tracking_number.in_(tracking_numbers)))
        return {r.tracking_number: RatingRow(r.tracking_number, r.score, r.comment, r.rated_at) for r in rows}


class ChannelCounts:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def put(self, service: str, ministry: str, month: date, channel: str, completed: int,
                  at: datetime) -> None:
        """A later report for the same service, month and channel replaces the earlier."""
        connection = self._uow.connection
        key = and_(channel_counts.c.service == service, channel_counts.c.month == month,
                   channel_counts.c.channel == channel)
        values = {"ministry": ministry, "completed": completed, "reported_at": at}
        if (await connection.execute(update(channel_counts).where(key).values(**values))).rowcount:
            return
        try:
            async with connection.begin_nested():
                await connection.execute(channel_counts.insert().values(service=service, month=month,
                                                                        channel=channel, **values))
        except IntegrityError:
            await connection.execute(update(channel_counts).where(key).values(**values))


class Readiness:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def put(self, slug: str, ministry: str, maturity: str, volume_per_year: int, manual: Decimal,
                  digital: Decimal, assessed_at: datetime) -> bool:
        """Keep the latest assessment of the service; False when this one is older than the kept one."""
        connection = self._uow.connection
        values = {"ministry": ministry, "maturity": maturity, "volume_per_year": volume_per_year,
                  "manual_cost_omr": str(manual), "digital_cost_omr": str(digital), "assessed_at": assessed_at}
        newer = update(readiness).where(readiness.c.slug == slug, readiness.c.assessed_at <= assessed_at)
        if (await connection.execute(newer.values(**values))).rowcount:
            return True
        if (await connection.execute(select(readiness.c.slug).where(readiness.c.slug == slug))).first():
            return False
        try:
            async with connection.begin_nested():
                await connection.execute(readiness.insert().values(slug=slug, **values))
        except IntegrityError:
            return bool((await connection.execute(newer.values(**values))).rowcount)
        return True

    async def costs(self) -> dict[str, Costs]:
        rows = await self._uow.connection.execute(select(readiness))
        return {r.slug: Costs(manual=Decimal(r.manual_cost_omr), digital=Decimal(r.digital_cost_omr))
                for r in rows}


class Performance:
    """The facts the KPIs are computed from, for one period."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def facts(self, period: Period, ministry: str | None = None, service: str | None = None) -> Facts:
        start, end = _bounds(period)
        connection = self._uow.connection

        def scoped(query: Select[Any], table: Table) -> Select[Any]:
            if ministry is not None:
                query = query.where(table.c.ministry == ministry)
            if service is not None:
                query = query.where(table.c.service == service)
            return query

        request_rows = await connection.execute(scoped(select(
            requests.c.service, requests.c.ministry, requests.c.status, requests.c.submitted_at, requests.c.due_on,
            requests.c.decided_at, requests.c.completed_at).where(or_(
                _within(requests.c.submitted_at, start, end), _within(requests.c.decided_at, start, end),
                _within(requests.c.completed_at, start, end))), requests))
        rating_rows = await connection.execute(scoped(select(
            ratings.c.service, ratings.c.ministry, ratings.c.score, ratings.c.rated_at)
            .where(_within(ratings.c.rated_at, start, end)), ratings))
        channel_rows = await connection.execute(scoped(select(
            channel_counts.c.service, channel_counts.c.ministry, channel_counts.c.month, channel_counts.c.completed)
            .where(channel_counts.c.month >= period.start, channel_counts.c.month <= period.end), channel_counts))
        return Facts(
            requests=[RequestFacts(r.service, r.ministry, r.status, r.submitted_at, r.due_on, r.decided_at,
                                   r.completed_at) for r in request_rows],
            ratings=[RatingFacts(r.service, r.ministry, r.score, r.rated_at) for r in rating_rows],
            channels=[ChannelFacts(r.service, r.ministry, r.month, r.completed) for r in channel_rows])

    async def channels(self, period: Period, ministry: str | None = None, service: str | None = None
                       ) -> list[ChannelFacts]:
        query = select(channel_counts.c.service, channel_counts.c.ministry, channel_counts.c.month,
                       channel_counts.c.completed).where(channel_counts.c.month >= period.start,
                                                         channel_counts.c.month <= period.end)
        if ministry is not None:
            query = query.where(channel_counts.c.ministry == ministry)
        if service is not None:
            query = query.where(channel_counts.c.service == service)
        return [ChannelFacts(r.service, r.ministry, r.month, r.completed)
                for r in await self._uow.connection.execute(query)]

    async def decisions(self, ministry: str, period: Period) -> list[Decision]:
        """Requests decided in the period, with the officer who decided (None for an integrated system)."""
        start, end = _bounds(period)
        rows = await self._uow.connection.execute(
            select(requests.c.service, requests.c.submitted_at, requests.c.decided_at, history.c.actor,
                   history.c.actor_name)
            .join(history, and_(history.c.tracking_number == requests.c.tracking_number, history.c.applied == 1,
                                history.c.status.in_(("approved", "rejected"))))
            .where(requests.c.ministry == ministry, requests.c.decided_at >= start, requests.c.decided_at < end))
        return [Decision(r.service, r.actor.split(":", 1)[1] if r.actor.startswith("officer:") else None,
                         r.actor_name, r.submitted_at, r.decided_at) for r in rows]

    async def open_requests(self, ministry: str, at: datetime) -> list[OpenRequest]:
        rows = await self._uow.connection.execute(
            select(requests.c.service, requests.c.assignee, requests.c.assignee_name,
                   overdue(at).label("overdue"))
            .where(requests.c.ministry == ministry, requests.c.status.in_(sorted(OPEN_STATUSES))))
        return [OpenRequest(r.service, r.assignee, r.assignee_name, bool(r.overdue)) for r in rows]


PACKED = np.dtype("<i4")


def pack(histogram: Mapping[int, int]) -> bytes | None:
    """A histogram as (bucket, count) pairs of little-endian 32-bit integers, buckets ascending, zeros left out;
    None when empty."""
    pairs = [(bucket, count) for bucket, count in sorted(histogram.items()) if count]
    return np.array(pairs, dtype=PACKED).tobytes() if pairs else None


def unpack(packed: bytes | None) -> dict[int, int]:
    pairs = np.frombuffer(packed or b"", dtype=PACKED).reshape(-1, 2)
    return dict(zip(pairs[:, 0].tolist(), pairs[:, 1].tolist(), strict=True))


def merged(packed: list[bytes]) -> Histogram:
    """The dense sum of packed histograms: one pass over their pairs together."""
    pairs = np.frombuffer(b"".join(packed), dtype=PACKED).reshape(-1, 2)
    if not len(pairs):
        return np.zeros(0, dtype=np.int64)
    return np.bincount(pairs[:, 0], weights=pairs[:, 1]).astype(np.int64)


@dataclass(frozen=True)
class ServiceRollup:
    """One service's sums over a period (per ministry it was counted under)."""

    service: str
    ministry: str
    counts: dict[str, int]
    tenths: Histogram


@dataclass
class _Delta:
    ministry: str
    counts: dict[str, int] = field(default_factory=dict)
    tenths: dict[int, int] = field(default_factory=dict)


_Deltas = dict[tuple[date, str], _Delta]
REBUILD_BATCH = 5000
UPSERT_ROWS = 1000  # twelve parameters a row: well under SQLite's and PostgreSQL's limits per statement


def _collect(contributions: Iterable[Contribution], days: _Deltas, months: _Deltas) -> None:
    for c in contributions:
        for kept, period in ((days, c.day), (months, c.day.replace(day=1))):
            delta = kept.setdefault((period, c.service), _Delta(c.ministry))
            delta.ministry = c.ministry
            if c.metric == TENTHS:
                delta.tenths[c.bucket] = delta.tenths.get(c.bucket, 0) + c.value
            else:
                delta.counts[c.metric] = delta.counts.get(c.metric, 0) + c.value


def _rows(period: str, deltas: _Deltas, *, tenths: bool) -> list[dict[str, Any]]:
    return [{period: at, "service": service, "ministry": delta.ministry,
             **{metric: delta.counts.get(metric, 0) for metric in COUNTS},
             **({"tenths": pack(delta.tenths)} if tenths else {})}
            for (at, service), delta in sorted(deltas.items())]


class KpiRollups:
    """The KPIs' rollup per day and per month, one row per service, changed in the transaction of what it counts."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def add(self, contributions: Iterable[Contribution]) -> None:
        days: _Deltas = {}
        months: _Deltas = {}
        _collect(contributions, days, months)
        await self._upsert(kpi_days, "day", days)
        await self._upsert(kpi_months, "month", months)

    async def _upsert(self, table: Table, period: str, deltas: _Deltas) -> None:
        if not deltas:
            return
        connection = self._uow.connection
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        rows = _rows(period, deltas, tenths=False)
        for start in range(0, len(rows), UPSERT_ROWS):
            statement = dialect.insert(table).values(rows[start:start + UPSERT_ROWS])
            await connection.execute(statement.on_conflict_do_update(
                index_elements=[period, "service"],
                set_={"ministry": statement.excluded.ministry,
                      **{metric: table.c[metric] + statement.excluded[metric] for metric in COUNTS}}))
        # The upsert above holds the row (PostgreSQL) or the database (SQLite) until commit, so the histogram is
        # read, merged and written back without a concurrent change in between.
        for (at, service), delta in sorted(deltas.items()):
            if not any(delta.tenths.values()):
                continue
            key = and_(table.c[period] == at, table.c.service == service)
            histogram = unpack((await connection.execute(select(table.c.tenths).where(key))).scalar())
            for bucket, count in delta.tenths.items():
                histogram[bucket] = histogram.get(bucket, 0) + count
            await connection.execute(update(table).where(key).values(tenths=pack(histogram)))

    async def sums(self, period: Period, ministry: str | None = None, service: str | None = None
                   ) -> list[ServiceRollup]:
        """The period's sums per service, from at most a row per service and month or day (`_ranges`)."""
        parts = []
        for table, start, end, sign in _ranges(period):
            column = table.c.month if table is kpi_months else table.c.day
            part = select(table.c.service, table.c.ministry, table.c.tenths, literal(sign).label("sign"),
                          *(table.c[m] for m in COUNTS)).where(column >= start, column < end)
            if ministry is not None:
                part = part.where(table.c.ministry == ministry)
            if service is not None:
                part = part.where(table.c.service == service)
            parts.append(part)
        rows = union_all(*parts).subquery()
        connection = self._uow.connection
        # Two statements whatever the period: the counts summed by the database, the histograms' few rows merged here.
        counts = {(r.service, r.ministry): {m: int(r._mapping[m] or 0) for m in COUNTS}
                  for r in await connection.execute(
                      select(rows.c.service, rows.c.ministry,
                             *(func.sum(rows.c.sign * rows.c[m]).label(m) for m in COUNTS))
                      .group_by(rows.c.service, rows.c.ministry))}
        packed: dict[tuple[str, str, int], list[bytes]] = {}
        for r in await connection.execute(select(rows.c.service, rows.c.ministry, rows.c.sign, rows.c.tenths)
                                          .where(rows.c.tenths.is_not(None))):
            packed.setdefault((r.service, r.ministry, r.sign), []).append(r.tenths)
        return [ServiceRollup(service, ministry, sums, add_histograms(
            merged(packed.get((service, ministry, 1), [])), -merged(packed.get((service, ministry, -1), []))))
            for (service, ministry), sums in counts.items()]

    async def rebuild(self) -> int:
        """Recount both rollups from the requests and ratings themselves; the number of requests counted."""
        connection = self._uow.connection
        await connection.execute(delete(kpi_days))
        await connection.execute(delete(kpi_months))
        days: _Deltas = {}
        months: _Deltas = {}
        counted, after = 0, ""
        while True:
            rows = (await connection.execute(
                select(requests.c.tracking_number, requests.c.service, requests.c.ministry, requests.c.status,
                       requests.c.submitted_at, requests.c.due_on, requests.c.decided_at, requests.c.completed_at)
                .where(requests.c.tracking_number > after).order_by(requests.c.tracking_number)
                .limit(REBUILD_BATCH))).all()
            if not rows:
                break
            _collect((c for r in rows for c in request_contributions(
                RequestFacts(r.service, r.ministry, r.status, r.submitted_at, r.due_on, r.decided_at,
                             r.completed_at))), days, months)
            counted, after = counted + len(rows), rows[-1].tracking_number
        rating_rows = await connection.execute(select(ratings.c.service, ratings.c.ministry, ratings.c.score,
                                                      ratings.c.rated_at))
        _collect((c for r in rating_rows for c in rating_contributions(
            RatingFacts(r.service, r.ministry, r.score, r.rated_at))), days, months)
        for table, period, deltas in ((kpi_days, "day", days), (kpi_months, "month", months)):
            counted_rows = _rows(period, deltas, tenths=True)
            for start in range(0, len(counted_rows), UPSERT_ROWS):
                await connection.execute(table.insert(), counted_rows[start:start + UPSERT_ROWS])
        return counted


def _ranges(period: Period) -> list[tuple[Table, date, date, int]]:
    """Where the period's sums are read: (rollup, from, until, sign). Whole months from the monthly rollup; a month
    the period covers only partly from its days in the period when they are at most half of it, else as the whole
    month less the days outside the period. So a period reads at most about half a month of days at each end."""
    after = period.end + timedelta(days=1)
    found: list[tuple[Table, date, date, int]] = []
    month = period.start.replace(day=1)
    while month < after:
        end = _next_month(month)
        start, until = max(period.start, month), min(after, end)
        if (start, until) == (month, end) or (until - start) * 2 > end - month:
            # Consecutive whole months are one range.
            joined = bool(found) and found[-1][0] is kpi_months and found[-1][2] == month
            month_from = found.pop()[1] if joined else month
            found.append((kpi_months, month_from, end, 1))
            found += [(kpi_days, a, b, -1) for a, b in ((month, start), (until, end)) if a < b]
        else:
            found.append((kpi_days, start, until, 1))
        month = end
    return found


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
