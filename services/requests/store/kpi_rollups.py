"""The daily and monthly KPI rollups: one row per service and day (or month), its processing-time histogram
packed in one value; any period is a sum of whole months and days."""
import functools
import operator
import sys
from array import array
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import CompoundSelect, Table, and_, bindparam, delete, func, literal, select, union_all, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.sql.expression import Executable

from services.requests.domain.kpis import (
    COUNTS,
    TENTHS,
    Contribution,
    Histogram,
    Period,
    RatingFacts,
    RequestFacts,
    rating_contributions,
    request_contributions,
)
from services.requests.store.tables import (
    kpi_days,
    kpi_months,
    ratings,
    requests,
)
from shared.db import UnitOfWork
from shared.logging import get_logger

log = get_logger(__name__)

# A day's histogram is packed as (bucket, count) pairs of 32-bit integers: a day has a few dozen completions. A
# month's is dense, a 64-bit count per bucket from 0 to its last, so that a period's months are summed as big
# integers: each addition adds every bucket in C, where adding them pair by pair was most of a year's report (the
# serving process keeps numpy out of memory). Both little-endian whatever the machine.
INT32, UINT64 = "i", "Q"
assert array(INT32).itemsize == 4 and array(UINT64).itemsize == 8


def _integers(packed: bytes, code: str = INT32) -> "array[int]":
    values = array(code, packed)
    if sys.byteorder == "big":
        values.byteswap()
    return values


def _packed(values: "array[int]") -> bytes | None:
    if not values:
        return None
    if sys.byteorder == "big":
        values.byteswap()
    return values.tobytes()


def pack(histogram: Mapping[int, int]) -> bytes | None:
    """A day's histogram as (bucket, count) pairs, buckets ascending, zeros left out; None when empty."""
    return _packed(array(INT32, [n for bucket, count in sorted(histogram.items()) if count for n in (bucket, count)]))


def unpack(packed: bytes | None) -> dict[int, int]:
    values = _integers(packed or b"")
    return dict(zip(values[::2], values[1::2], strict=True))


def pack_dense(histogram: Mapping[int, int]) -> bytes | None:
    """A month's histogram as a count per bucket up to its last non-zero one; None when empty. A count can only be
    below zero in rollups that disagree with the requests (`rebuild` recounts them): it is kept as zero."""
    top = max((bucket for bucket, count in histogram.items() if count), default=-1)
    dense = [0] * (top + 1)
    for bucket, count in histogram.items():
        if count > 0:
            dense[bucket] = count
        elif count < 0:
            log.warning("kpi_rollup_count_below_zero", bucket=bucket, count=count)
    return _packed(array(UINT64, dense))


def unpack_dense(packed: bytes | None) -> dict[int, int]:
    return {bucket: count for bucket, count in enumerate(_integers(packed or b"", UINT64)) if count}


def merged(months: list[bytes], days: list[bytes] | None = None, less: list[bytes] | None = None) -> Histogram:
    """The dense sum of whole months' histograms and of `days`, less `less` (days): the months' as one big integer
    per month (64-bit buckets never carry into each other), the days' pair by pair."""
    total = sum(int.from_bytes(month, "little") for month in months)
    dense = _integers(total.to_bytes((total.bit_length() + 63) // 64 * 8, "little"), UINT64).tolist()
    plus, minus = _integers(b"".join(days or [])), _integers(b"".join(less or []))
    top = max(max(plus[::2], default=-1), max(minus[::2], default=-1))
    dense += [0] * (top + 1 - len(dense))
    for bucket, count in zip(plus[::2], plus[1::2], strict=True):
        dense[bucket] += count
    for bucket, count in zip(minus[::2], minus[1::2], strict=True):
        dense[bucket] -= count
    return dense


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


# How each rollup packs its histograms: (pack, unpack) by its period column.
FORMATS = {"day": (pack, unpack), "month": (pack_dense, unpack_dense)}


def _rows(period: str, deltas: _Deltas, *, tenths: bool) -> list[dict[str, Any]]:
    packer = FORMATS[period][0]
    return [{period: at, "service": service, "ministry": delta.ministry,
             **{metric: delta.counts.get(metric, 0) for metric in COUNTS},
             **({"tenths": packer(delta.tenths)} if tenths else {})}
            for (at, service), delta in sorted(deltas.items())]


def _adding_counts(statement: postgresql.Insert | sqlite.Insert, table: Table, period: str) -> Executable:
    """The insert, adding its counts to the period's row where there is one."""
    upsert: Executable = statement.on_conflict_do_update(
        index_elements=[period, "service"],
        set_={"ministry": statement.excluded.ministry,
              **{metric: table.c[metric] + statement.excluded[metric] for metric in COUNTS}})
    return upsert


@functools.cache
def _upsert(dialect_name: str, table: Table, period: str) -> Executable:
    """Adds a row's counts to its period's, run once per row (executemany). Built once per table: its `excluded`
    alias makes a Column per column of the table, 13 % of the requests service's CPU when built per submission."""
    return _adding_counts((postgresql if dialect_name == "postgresql" else sqlite).insert(table), table, period)


def _columns(period: str) -> list[str]:
    return [period, "service", "ministry", *COUNTS]


@functools.cache
def adding_arrays(table: Table, period: str) -> Executable:
    """PostgreSQL: `_upsert` for all the rows at once, each column bound as an array (`<period>_<column>`) and
    unnested, so that it can be one part of a statement that writes other tables too (a submission batch's)."""
    columns = _columns(period)
    rows = select(*[func.unnest(bindparam(f"{period}_{column}", type_=postgresql.ARRAY(table.c[column].type)))
                    for column in columns])
    return _adding_counts(postgresql.insert(table).from_select(columns, rows), table, period)


def counts_only(contributions: Iterable[Contribution]) -> dict[str, list[Any]] | None:
    """What the contributions add to the day and month rollups, as the parameters of `adding_arrays` for both; None
    if they move a histogram (KpiRollups.add does that), which a new request's never do."""
    days: _Deltas = {}
    months: _Deltas = {}
    _collect(contributions, days, months)
    if any(delta.tenths for deltas in (days, months) for delta in deltas.values()):
        return None
    arrays: dict[str, list[Any]] = {}
    for period, deltas in (("day", days), ("month", months)):
        rows = _rows(period, deltas, tenths=False)
        arrays |= {f"{period}_{column}": [row[column] for row in rows] for column in _columns(period)}
    return arrays


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
        await connection.execute(_upsert(connection.dialect.name, table, period), _rows(period, deltas, tenths=False))
        # The upsert above holds the row (PostgreSQL) or the database (SQLite) until commit, so the histogram is
        # read, merged and written back without a concurrent change in between.
        packer, unpacker = FORMATS[period]
        for (at, service), delta in sorted(deltas.items()):
            if not any(delta.tenths.values()):
                continue
            key = and_(table.c[period] == at, table.c.service == service)
            histogram = unpacker((await connection.execute(select(table.c.tenths).where(key))).scalar())
            for bucket, count in delta.tenths.items():
                histogram[bucket] = histogram.get(bucket, 0) + count
            await connection.execute(update(table).where(key).values(tenths=packer(histogram)))

    async def submissions(self, since: date | None = None) -> dict[str, int]:
        """Each service's requests so far (the monthly rollup's `started`, summed); with `since`, only the services
        that had one on that day or later."""
        statement = select(kpi_months.c.service, func.sum(kpi_months.c.started)).group_by(kpi_months.c.service)
        if since is not None:
            recent = select(kpi_days.c.service).where(kpi_days.c.day >= since, kpi_days.c.started > 0)
            statement = statement.where(kpi_months.c.service.in_(recent))
        rows = await self._uow.connection.execute(statement)
        return {service: int(total) for service, total in rows}

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


_Shape = tuple[tuple[str, int], ...]


@functools.cache
def _sums_statement(shape: _Shape, by_ministry: bool, by_service: bool) -> CompoundSelect[Any]:
    """The rows that sum a period of this shape ((rollup's period column, sign) per range of `_ranges`), its dates,
    ministry and service bound when run. Built once per shape and scope (periods have thirteen shapes, of one to
    four ranges): building and compiling the union per call cost more CPU than SQLite running it."""
    parts = []
    for n, (period, sign) in enumerate(shape):
        table = kpi_months if period == "month" else kpi_days
        part = select(table.c.service, table.c.ministry, literal(sign).label("sign"),
                      literal(period == "month").label("dense"), table.c.tenths,
                      *(table.c[m] for m in COUNTS)).where(table.c[period] >= bindparam(f"from_{n}"),
                                                           table.c[period] < bindparam(f"until_{n}"))
        if by_ministry:
            part = part.where(table.c.ministry == bindparam("ministry"))
        if by_service:
            part = part.where(table.c.service == bindparam("service"))
        parts.append(part)
    return union_all(*parts)


@dataclass
class _Sums:
    counts: list[int] = field(default_factory=lambda: [0] * len(COUNTS))
    months: list[bytes] = field(default_factory=list)
    days: list[bytes] = field(default_factory=list)
    less: list[bytes] = field(default_factory=list)


def sums_of(connection: Connection, period: Period, ministry: str | None = None, service: str | None = None
            ) -> list[ServiceRollup]:
    """The period's sums per service, from at most a row per service and month or day (`_ranges`), in one statement
    whatever the period: its rows summed here (summing them in the database was a second pass over the same rows,
    and the longer one)."""
    ranges = _ranges(period)
    shape = tuple(("month" if table is kpi_months else "day", sign) for table, _, _, sign in ranges)
    values: dict[str, object] = {"ministry": ministry, "service": service}
    for n, (_, start, end, _) in enumerate(ranges):
        values[f"from_{n}"], values[f"until_{n}"] = start, end
    found: dict[tuple[str, str], _Sums] = {}
    rows = connection.execute(_sums_statement(shape, ministry is not None, service is not None), values).all()
    for service_, ministry_, sign, dense, tenths, *counts in rows:
        sums = found.get((service_, ministry_))
        if sums is None:
            sums = found[service_, ministry_] = _Sums()
        sums.counts[:] = map(operator.add if sign > 0 else operator.sub, sums.counts, counts)
        if tenths is not None:
            (sums.months if dense else sums.days if sign > 0 else sums.less).append(tenths)
    return [ServiceRollup(service_, ministry_, dict(zip(COUNTS, sums.counts, strict=True)),
                          merged(sums.months, sums.days, sums.less)) for (service_, ministry_), sums in found.items()]


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
