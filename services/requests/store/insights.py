"""What the portal learns from its own requests, kept as aggregates only: next-service patterns with their
figures and staff's decision, staff's auto-approval bar, each retraining run, each service's weekly forecast,
and the suggestions citizens set aside or were told about."""

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial

from sqlalchemy import (
    Column,
    Date,
    Float,
    Index,
    Integer,
    String,
    Table,
    bindparam,
    cast,
    delete,
    func,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from services.requests.domain.patterns import Pattern, Thresholds
from services.requests.store.tables import catalogue, metadata, preferences, requests
from shared.contracts.catalog import ServiceRecord
from shared.db import UnitOfWork, UtcDateTime

PROPOSED, APPROVED, OFF = "proposed", "approved", "off"
# A citizen's marks on a suggested service.
DISMISSED, NOTIFIED = "dismissed", "notified"

service_patterns = Table(
    "service_patterns", metadata,
    Column("after", String(80), primary_key=True),
    Column("then", String(80), primary_key=True),
    Column("citizens", Integer, nullable=False),
    Column("support", Float, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("lift", Float, nullable=False),
    Column("state", String(12), nullable=False),
    Column("decided_by", String(100)),
    Column("decided_at", UtcDateTime()),
    Column("trained_at", UtcDateTime(), nullable=False),
    Index("ix_service_patterns_state", "state"),
)

insight_settings = Table(
    "insight_settings", metadata,
    Column("id", Integer, primary_key=True),
    Column("auto_min_citizens", Integer, nullable=False),
    Column("auto_min_confidence", Float, nullable=False),
    Column("auto_min_lift", Float, nullable=False),
    Column("updated_by", String(100), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

insight_runs = Table(
    "insight_runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("trained_at", UtcDateTime(), nullable=False, index=True),
    Column("requests", Integer, nullable=False),
    Column("citizens", Integer, nullable=False),
    Column("patterns", Integer, nullable=False),
    Column("seconds", Float, nullable=False),
)

suggestion_marks = Table(
    "suggestion_marks", metadata,
    Column("citizen", String(20), primary_key=True),
    Column("service", String(80), primary_key=True),
    # dismissed: never shown again; notified: the one proactive notification went out.
    Column("mark", String(12), primary_key=True),
    Column("at", UtcDateTime(), nullable=False),
)

service_forecasts = Table(
    "service_forecasts", metadata,
    Column("service", String(80), primary_key=True),
    Column("week", Date, primary_key=True),
    Column("ministry", String(16), nullable=False, index=True),
    Column("expected", Float, nullable=False),
    Column("lower", Float, nullable=False),
    Column("upper", Float, nullable=False),
    Column("trained_at", UtcDateTime(), nullable=False),
)


# What a citizen's suggestions read on every dashboard call, built once: building a statement (an aliased
# join above all) cost more than SQLite took to answer it.
_HISTORY = (select(requests.c.tracking_number, requests.c.service, requests.c.status, requests.c.submitted_at)
            .where(requests.c.citizen == bindparam("citizen"), requests.c.submitted_at >= bindparam("since"))
            .order_by(requests.c.submitted_at.desc()))
_CHOICES = union_all(
    select(suggestion_marks.c.service, cast(null(), Integer).label("notices"))
    .where(suggestion_marks.c.citizen == bindparam("citizen"), suggestion_marks.c.mark == DISMISSED),
    select(cast(null(), String).label("service"), preferences.c.suggestion_notices)
    .where(preferences.c.citizen == bindparam("citizen")))
_lead, _then = catalogue.alias("lead"), catalogue.alias("then")
_APPROVED_AFTER = (
    select(service_patterns.c.after, service_patterns.c.then, service_patterns.c.citizens, service_patterns.c.support,
           service_patterns.c.confidence, service_patterns.c.lift,
           _lead.c.status.label("lead_status"), _lead.c.record.label("lead_record"),
           _then.c.status.label("then_status"), _then.c.record.label("then_record"))
    .select_from(service_patterns
                 .outerjoin(_lead, (_lead.c.slug == service_patterns.c.after) & _lead.c.record.is_not(None))
                 .outerjoin(_then, (_then.c.slug == service_patterns.c.then) & _then.c.record.is_not(None)))
    .where(service_patterns.c.state == APPROVED, service_patterns.c.after.in_(bindparam("leads", expanding=True)))
    .order_by(service_patterns.c.confidence.desc(), service_patterns.c.after, service_patterns.c.then))


@dataclass(frozen=True)
class PatternRow:
    pattern: Pattern
    state: str
    decided_by: str | None
    decided_at: datetime | None
    trained_at: datetime


@dataclass(frozen=True)
class RunRow:
    trained_at: datetime
    requests: int
    citizens: int
    patterns: int
    seconds: float


@dataclass(frozen=True)
class ForecastRow:
    service: str
    ministry: str
    week: date
    expected: float
    lower: float
    upper: float
    trained_at: datetime


@dataclass(frozen=True)
class Approved:
    """Approved patterns grouped by the service that leads to them, and every service they name as last known
    (status, record); a service the catalogue never told us of is missing."""

    by_reason: dict[str, list[Pattern]]
    services: dict[str, tuple[str, ServiceRecord]]


@dataclass(frozen=True)
class Choices:
    """What a citizen chose about suggestions: the services they set aside, and whether they want a notice."""

    dismissed: set[str]
    notices: bool


@dataclass(frozen=True)
class SuggestionInputs:
    # (tracking number, service, status, submitted_at) of the citizen's requests in the window, latest first.
    history: list[tuple[str, str, str, datetime]]
    choices: Choices
    # The approved patterns led by the services the citizen completed (only `after`'s, when given).
    approved: Approved


def _suggestion_inputs(connection: Connection, *, citizen: str, since: datetime, after: str | None
                       ) -> SuggestionInputs:
    """Three statements whatever the citizen's history: their requests, their choices, and the approved patterns
    their completed services lead to with the services at both ends (none when they completed nothing)."""
    history = [(r[0], r[1], r[2], r[3]) for r in connection.execute(_HISTORY, {"citizen": citizen, "since": since})]
    dismissed, notices = set(), False
    for service, wanted in connection.execute(_CHOICES, {"citizen": citizen}):
        if service is None:
            notices = bool(wanted)
        else:
            dismissed.add(service)
    leads = sorted({service for tracking, service, status, _ in history
                    if status == "completed" and (after is None or tracking == after)})
    approved = Approved({}, {})
    if leads:
        for r in connection.execute(_APPROVED_AFTER, {"leads": leads}):
            approved.by_reason.setdefault(r.after, []).append(
                Pattern(r.after, r.then, r.citizens, r.support, r.confidence, r.lift))
            for slug, status, record in ((r.after, r.lead_status, r.lead_record),
                                         (r.then, r.then_status, r.then_record)):
                if record is not None and slug not in approved.services:
                    approved.services[slug] = (status, ServiceRecord.model_validate(record))
    return SuggestionInputs(history, Choices(dismissed, notices), approved)


def _pattern_row(row: object) -> PatternRow:
    r = row._mapping  # type: ignore[attr-defined]
    return PatternRow(Pattern(r["after"], r["then"], r["citizens"], r["support"], r["confidence"], r["lift"]),
                      r["state"], r["decided_by"], r["decided_at"], r["trained_at"])


class Insights:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def completed_since(self, since: datetime, batch: int = 50_000
                              ) -> AsyncIterator[list[tuple[str, str, datetime]]]:
        """(citizen, service, submitted_at) of every completed request submitted since then, in batches."""
        result = await self._uow.connection.stream(
            select(requests.c.citizen, requests.c.service, requests.c.submitted_at)
            .where(requests.c.status == "completed", requests.c.submitted_at >= since))
        async for part in result.partitions(batch):
            yield [(r[0], r[1], r[2]) for r in part]

    async def completed_count(self, since: datetime) -> int:
        return int((await self._uow.connection.execute(select(func.count()).select_from(requests).where(
            requests.c.status == "completed", requests.c.submitted_at >= since))).scalar_one())

    async def for_suggestions(self, citizen: str, since: datetime, after: str | None = None) -> SuggestionInputs:
        """What a citizen's suggestions are computed from, read afresh on every call (so that a dismissal, an
        approval or a sensitive flag counts on the next one) in one hop to the database: the dashboard asks for
        them on every visit."""
        return await self._uow.read(partial(_suggestion_inputs, citizen=citizen, since=since, after=after))

    async def patterns(self, state: str | None = None) -> list[PatternRow]:
        query = select(service_patterns)
        if state is not None:
            query = query.where(service_patterns.c.state == state)
        rows = await self._uow.connection.execute(
            query.order_by(service_patterns.c.confidence.desc(), service_patterns.c.after, service_patterns.c.then))
        return [_pattern_row(r) for r in rows]

    async def pattern(self, after: str, then: str) -> PatternRow | None:
        row = (await self._uow.connection.execute(select(service_patterns).where(
            service_patterns.c.after == after, service_patterns.c.then == then))).first()
        return _pattern_row(row) if row else None

    async def replace_patterns(self, found: Iterable[Pattern], at: datetime, bar: Thresholds | None) -> None:
        """The new figures; staff's decisions kept; patterns no longer found are gone (their citizens may have
        fallen under the threshold); new ones proposed, or approved when they meet staff's bar."""
        connection = self._uow.connection
        known = {(p.pattern.after, p.pattern.then): p for p in await self.patterns()}
        fresh = {(p.after, p.then): p for p in found}
        for key in known.keys() - fresh.keys():
            await connection.execute(delete(service_patterns).where(
                service_patterns.c.after == key[0], service_patterns.c.then == key[1]))
        for key, pattern in fresh.items():
            figures = {"citizens": pattern.citizens, "support": pattern.support, "confidence": pattern.confidence,
                       "lift": pattern.lift, "trained_at": at}
            kept = known.get(key)
            if kept is None:
                auto = bar is not None and bar.met_by(pattern)
                await connection.execute(service_patterns.insert().values(
                    after=pattern.after, then=pattern.then, state=APPROVED if auto else PROPOSED,
                    decided_by="auto" if auto else None, decided_at=at if auto else None, **figures))
                continue
            if kept.state == PROPOSED and bar is not None and bar.met_by(pattern):
                figures |= {"state": APPROVED, "decided_by": "auto", "decided_at": at}
            await connection.execute(update(service_patterns).where(
                service_patterns.c.after == key[0], service_patterns.c.then == key[1]).values(**figures))

    async def decide(self, after: str, then: str, state: str, by: str, at: datetime) -> bool:
        done = await self._uow.connection.execute(update(service_patterns).where(
            service_patterns.c.after == after, service_patterns.c.then == then).values(
            state=state, decided_by=by, decided_at=at))
        return bool(done.rowcount)

    async def thresholds(self) -> Thresholds | None:
        row = (await self._uow.connection.execute(select(insight_settings).where(insight_settings.c.id == 1))).first()
        if row is None:
            return None
        return Thresholds(row.auto_min_citizens, row.auto_min_confidence, row.auto_min_lift)

    async def set_thresholds(self, bar: Thresholds | None, by: str, at: datetime) -> None:
        connection = self._uow.connection
        await connection.execute(delete(insight_settings).where(insight_settings.c.id == 1))
        if bar is not None:
            await connection.execute(insight_settings.insert().values(
                id=1, auto_min_citizens=bar.min_citizens, auto_min_confidence=bar.min_confidence,
                auto_min_lift=bar.min_lift, updated_by=by, updated_at=at))

    async def record_run(self, run: RunRow) -> None:
        await self._uow.connection.execute(insight_runs.insert().values(**run.__dict__))

    async def last_run(self) -> RunRow | None:
        row = (await self._uow.connection.execute(
            select(insight_runs).order_by(insight_runs.c.trained_at.desc(), insight_runs.c.id.desc()).limit(1))
               ).first()
        return RunRow(row.trained_at, row.requests, row.citizens, row.patterns, row.seconds) if row else None

    async def mark(self, citizen: str, service: str, mark: str, at: datetime) -> bool:
        """False when it was already so marked (the notification went out once, by whichever replica)."""
        connection = self._uow.connection
        try:
            async with connection.begin_nested():
                await connection.execute(suggestion_marks.insert().values(citizen=citizen, service=service,
                                                                          mark=mark, at=at))
        except IntegrityError:
            return False
        return True

    async def replace_forecasts(self, rows: Iterable[ForecastRow]) -> None:
        connection = self._uow.connection
        await connection.execute(delete(service_forecasts))
        values = [r.__dict__ for r in rows]
        if values:
            await connection.execute(service_forecasts.insert(), values)

    async def forecasts(self, ministry: str | None) -> list[ForecastRow]:
        query = select(service_forecasts)
        if ministry is not None:
            query = query.where(service_forecasts.c.ministry == ministry)
        rows = await self._uow.connection.execute(query.order_by(service_forecasts.c.ministry,
                                                                 service_forecasts.c.service, service_forecasts.c.week))
        return [ForecastRow(r.service, r.ministry, r.week, r.expected, r.lower, r.upper, r.trained_at) for r in rows]

    async def weekly_counts(self, since: datetime) -> list[tuple[str, str, datetime]]:
        """(service, ministry, submitted_at) of every request since then: the forecast counts all demand."""
        rows = await self._uow.connection.execute(
            select(requests.c.service, requests.c.ministry, requests.c.submitted_at)
            .where(requests.c.submitted_at >= since))
        return [(r[0], r[1], r[2]) for r in rows]
