import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, and_, bindparam, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from services.requests.domain import OPEN_STATUSES
from services.requests.domain.kpis import (
    ChannelFacts,
    Costs,
    Facts,
    Period,
    RatingFacts,
    RequestFacts,
    rating_contributions,
)
from services.requests.store.kpi_rollups import KpiRollups, ServiceRollup, sums_of
from services.requests.store.overdue import overdue
from services.requests.store.tables import (
    catalogue,
    channel_counts,
    history,
    ratings,
    readiness,
    requests,
)
from shared.contracts.catalog import ServiceRecord
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


@dataclass(frozen=True)
class ReportInputs:
    """What a performance report is computed from, read in one snapshot."""

    sums: list[ServiceRollup]
    channels: list[ChannelFacts]
    costs: dict[str, Costs]
    # The services in scope as the catalogue last told of them (retired too), by slug.
    records: dict[str, ServiceRecord]


_COSTS = select(readiness.c.slug, readiness.c.manual_cost_omr, readiness.c.digital_cost_omr)


@functools.cache
def _report_statements(by_ministry: bool, by_service: bool) -> tuple[Select[Any], Select[Any]]:
    """The other channels' completions and the catalogue's records in scope, built once per scope."""
    channels = select(channel_counts.c.service, channel_counts.c.ministry, channel_counts.c.month,
                      channel_counts.c.completed).where(channel_counts.c.month >= bindparam("start"),
                                                        channel_counts.c.month <= bindparam("end"))
    records = select(catalogue.c.record).where(catalogue.c.record.is_not(None))
    if by_ministry:
        channels = channels.where(channel_counts.c.ministry == bindparam("ministry"))
        records = records.where(catalogue.c.ministry == bindparam("ministry"))
    if by_service:
        channels = channels.where(channel_counts.c.service == bindparam("service"))
        records = records.where(catalogue.c.slug == bindparam("service"))
    return channels, records


def _report_inputs(connection: Connection, *, period: Period, ministry: str | None, service: str | None
                   ) -> ReportInputs:
    channels, records = _report_statements(ministry is not None, service is not None)
    values = {"start": period.start, "end": period.end, "ministry": ministry, "service": service}
    in_scope = (ServiceRecord.model_validate(record) for record, in connection.execute(records, values))
    return ReportInputs(
        sums_of(connection, period, ministry, service),
        [ChannelFacts(*row) for row in connection.execute(channels, values)],
        {slug: Costs(manual=Decimal(manual), digital=Decimal(digital))
         for slug, manual, digital in connection.execute(_COSTS)},
        {r.slug: r for r in in_scope})


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

    async def report_inputs(self, period: Period, ministry: str | None = None, service: str | None = None
                            ) -> ReportInputs:
        """The rollups' sums, the other channels' completions, the readiness costs and the catalogue's records
        for a report, in one hop to the database."""
        return await self._uow.read(partial(_report_inputs, period=period, ministry=ministry, service=service))

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

