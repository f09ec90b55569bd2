"""The requests themselves: made, moved, read by their citizen and by their ministry's queue."""

import functools
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import Select, Table, bindparam, func, literal, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Executable

from services.requests.domain import AWAITING_DECISION
from services.requests.domain.kpis import RequestFacts, change
from services.requests.store.kpi_rollups import KpiRollups, adding_arrays, counts_only
from services.requests.store.kpis import RatingRow
from services.requests.store.overdue import overdue
from services.requests.store.requests.queue import (
    COUNT_LIMIT,
    STATUSES,
    UNASSIGNED,
    QueueCounts,
    QueueFilter,
    capped_count,
    queue_conditions,
    tab_of,
)
from services.requests.store.requests.rows import HistoryRow, RequestRow
from services.requests.store.tables import history, kpi_days, kpi_months, ratings, requests, sequences
from shared.db import UnitOfWork

# "My requests", built once: it walks the citizen's index (citizen, submitted_at) newest first.
_MINE = (select(requests, ratings.c.score, ratings.c.comment, ratings.c.rated_at)
         .select_from(requests.outerjoin(ratings, ratings.c.tracking_number == requests.c.tracking_number))
         .where(requests.c.citizen == bindparam("citizen"))
         .order_by(requests.c.submitted_at.desc()).limit(bindparam("limit")).offset(bindparam("offset")))
_REQUEST_COLUMNS = tuple(requests.c.keys())
# A submission batch's statements, built once: building them per batch cost more CPU than SQLite running them (their
# operators, values and cache key).
_ADD_REQUESTS = requests.insert()
_ADD_HISTORY = history.insert()
_HISTORY_COLUMNS = tuple(column.key for column in history.c if column.key != "id")


def _unnested(table: Table, columns: tuple[str, ...], prefix: str) -> Select[Any]:
    """One row per position of the arrays bound as `<prefix><column>` (PostgreSQL unnests them side by side)."""
    return select(*[func.unnest(bindparam(prefix + column, type_=postgresql.ARRAY(table.c[column].type)))
                    for column in columns])


@functools.cache
def _add_in_one_statement() -> Select[Any]:
    """PostgreSQL: a submission batch's requests, their history and their KPI counts, written by one statement
    (data-modifying CTEs; the history's foreign key is checked at its end), where they took four round trips and a
    Bind and Execute per row."""
    return (select(literal(1))
            .add_cte(postgresql.insert(requests).from_select(_REQUEST_COLUMNS,
                                                             _unnested(requests, _REQUEST_COLUMNS, "r_")).cte("r"))
            .add_cte(postgresql.insert(history).from_select(_HISTORY_COLUMNS,
                                                            _unnested(history, _HISTORY_COLUMNS, "h_")).cte("h"))
            .add_cte(adding_arrays(kpi_days, "day").cte("d"))  # type: ignore[attr-defined]
            .add_cte(adding_arrays(kpi_months, "month").cte("m")))  # type: ignore[attr-defined]


def _of_citizen(connection: Connection, *, citizen: str, limit: int, offset: int
                ) -> list[tuple[RequestRow, RatingRow | None]]:
    page = []
    for r in connection.execute(_MINE, {"citizen": citizen, "limit": limit, "offset": offset}).mappings():
        row = RequestRow(**{name: r[name] for name in _REQUEST_COLUMNS})
        rating = RatingRow(row.tracking_number, r["score"], r["comment"], r["rated_at"]) \
            if r["score"] is not None else None
        page.append((row, rating))
    return page


def _timelines(connection: Connection, *, service: str, limit: int) -> list[list[tuple[str, datetime]]]:
    recent = (select(requests.c.tracking_number).where(requests.c.service == service,
                                                        requests.c.completed_at.is_not(None))
              .order_by(requests.c.completed_at.desc()).limit(limit)).subquery()
    rows = connection.execute(
        select(history.c.tracking_number, history.c.status, history.c.at)
        .where(history.c.tracking_number.in_(select(recent.c.tracking_number)), history.c.applied == 1)
        .order_by(history.c.tracking_number, history.c.id))
    timelines: dict[str, list[tuple[str, datetime]]] = {}
    for r in rows:
        timelines.setdefault(r.tracking_number, []).append((r.status, r.at))
    return list(timelines.values())


@functools.cache
def _take_numbers(dialect_name: str) -> Executable:
    """Moves each (ministry, year) sequence on by `last` numbers, starting it if this is the year's first request, and
    returns where each now stands. Run with every sequence a batch needs at once (executemany, which SQLAlchemy sends
    as one multi-row statement since it returns rows), in sorted order: two replicas' batches lock the rows they share
    in the same order, so they never wait on each other in a cycle."""
    statement = (postgresql if dialect_name == "postgresql" else sqlite).insert(sequences)
    taken: Executable = (statement
                         .on_conflict_do_update(index_elements=["ministry", "year"],
                                                set_={"last": sequences.c.last + statement.excluded.last})
                         .returning(sequences.c.ministry, sequences.c.year, sequences.c.last))
    return taken


def _facts(row: Mapping[str, Any]) -> RequestFacts:
    return RequestFacts(row["service"], row["ministry"], row["status"], row["submitted_at"], row["due_on"],
                        row.get("decided_at"), row.get("completed_at"))


class Requests:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def take_numbers(self, wanted: Mapping[tuple[str, int], int]) -> dict[tuple[str, int], int]:
        """For each (ministry, year), the first of the `count` consecutive numbers taken from it: one statement
        however many ministries a batch of submissions spans (it was one per ministry, and two for a year's first)."""
        if not wanted:
            return {}
        connection = self._uow.connection
        rows = await connection.execute(_take_numbers(connection.dialect.name), [
            {"ministry": ministry, "year": year, "last": count} for (ministry, year), count in sorted(wanted.items())])
        return {(r.ministry, r.year): r.last - wanted[r.ministry, r.year] + 1 for r in rows}

    async def add(self, rows: list[RequestRow], actor: str) -> None:
        """New requests, however many, with their first history entries and what they add to the KPI rollups: on
        PostgreSQL in one statement, elsewhere in four."""
        connection = self._uow.connection
        made = [row.__dict__ for row in rows]
        begun = [{"tracking_number": row.tracking_number, "status": row.status, "previous_status": None,
                  "actor": actor, "actor_name": None, "note": None, "at": row.submitted_at, "applied": 1,
                  "event_id": None} for row in rows]
        contributions = [c for row in made for c in change(None, _facts(row))]
        counts = counts_only(contributions) if connection.dialect.name == "postgresql" else None
        if counts is not None:
            await connection.execute(_add_in_one_statement(), {
                **{f"r_{column}": [row[column] for row in made] for column in _REQUEST_COLUMNS},
                **{f"h_{column}": [entry[column] for entry in begun] for column in _HISTORY_COLUMNS},
                **counts})
            return
        await connection.execute(_ADD_REQUESTS, made)
        await KpiRollups(self._uow).add(contributions)
        await connection.execute(_ADD_HISTORY, begun)

    async def get(self, tracking_number: str, *, for_update: bool = False) -> RequestRow | None:
        query = select(requests).where(requests.c.tracking_number == tracking_number)
        if for_update:
            query = query.with_for_update()
        row = (await self._uow.connection.execute(query)).mappings().first()
        return RequestRow(**row) if row else None

    async def set_status(self, row: RequestRow, status: str, at: datetime, fields: dict[str, Any] | None = None,
                         *, action_note: str | None = None, fields_to_correct: list[str] | None = None) -> RequestRow:
        """Move a request this unit of work read for update (`row`); returns it as moved, without reading it again."""
        values: dict[str, Any] = {"status": status, "updated_at": at, "stalled_at": None}
        if fields is not None:
            values["fields"] = fields
        if status == "action_required":
            values |= {"action_note": action_note, "fields_to_correct": fields_to_correct or []}
        if status in ("approved", "rejected"):
            values["decided_at"] = at
        if status == "completed":
            values["completed_at"] = at
        await self._uow.connection.execute(
            update(requests).where(requests.c.tracking_number == row.tracking_number).values(**values))
        moved = replace(row, **values)
        await KpiRollups(self._uow).add(change(_facts(row.__dict__), _facts(moved.__dict__)))
        return moved

    async def assign(self, tracking_number: str, assignee: str | None, assignee_name: str | None) -> None:
        await self._uow.connection.execute(update(requests).where(requests.c.tracking_number == tracking_number)
                                           .values(assignee=assignee, assignee_name=assignee_name))

    async def record(self, tracking_number: str, status: str, previous: str | None, actor: str,
                     note: str | None, at: datetime, applied: bool, event_id: str | None,
                     actor_name: str | None = None) -> None:
        await self._uow.connection.execute(history.insert().values(
            tracking_number=tracking_number, status=status, previous_status=previous, actor=actor,
            actor_name=actor_name, note=note, at=at, applied=int(applied), event_id=event_id))

    async def history(self, tracking_number: str) -> list[HistoryRow]:
        rows = await self._uow.connection.execute(
            select(history).where(history.c.tracking_number == tracking_number).order_by(history.c.id))
        return [HistoryRow(r.status, r.previous_status, r.actor, r.note, r.at, bool(r.applied), r.actor_name)
                for r in rows]

    async def applied_statuses(self, tracking_number: str) -> list[str]:
        """The statuses the request went through, in order (what a move is checked against)."""
        rows = await self._uow.connection.execute(
            select(history.c.status).where(history.c.tracking_number == tracking_number, history.c.applied == 1)
            .order_by(history.c.id))
        return list(rows.scalars())

    async def of_citizen(self, citizen: str, limit: int, offset: int) -> list[tuple[RequestRow, RatingRow | None]]:
        """A page of the citizen's requests, newest first, each with the citizen's rating of it: one statement,
        in one hop to the database (the dashboard asks for it on every visit)."""
        return await self._uow.read(partial(_of_citizen, citizen=citizen, limit=limit, offset=offset))

    async def latest_lang(self, citizen: str) -> str | None:
        return (await self._uow.connection.execute(
            select(requests.c.lang).where(requests.c.citizen == citizen)
            .order_by(requests.c.submitted_at.desc()).limit(1))).scalar()

    async def undecided_across(self, start: datetime) -> list[RequestRow]:
        """Undecided requests submitted before `start` and due at or after it: those a change to the day
        beginning at `start` moves."""
        rows = await self._uow.connection.execute(select(requests).where(
            requests.c.status.in_(sorted(AWAITING_DECISION)), requests.c.submitted_at < start,
            requests.c.due_on >= start))
        return [RequestRow(**row._mapping) for row in rows]

    async def set_due(self, tracking_number: str, due_on: datetime) -> None:
        await self._uow.connection.execute(update(requests).where(
            requests.c.tracking_number == tracking_number).values(due_on=due_on))

    async def overdue_counts(self, at: datetime, ministry: str | None = None) -> list[tuple[str, str, int]]:
        """(ministry, service, overdue requests: past their due date, undecided or approved), largest first."""
        query = (select(requests.c.ministry, requests.c.service, func.count().label("n"))
                 .where(overdue(at))
                 .group_by(requests.c.ministry, requests.c.service))
        if ministry is not None:
            query = query.where(requests.c.ministry == ministry)
        rows = await self._uow.connection.execute(query)
        return sorted(((r.ministry, r.service, int(r.n)) for r in rows), key=lambda t: (-t[2], t[0], t[1]))

    async def stall_candidates(self, statuses: frozenset[str], unchanged_since: datetime, limit: int, *,
                               after: tuple[datetime, str] | None = None) -> list[RequestRow]:
        """Requests in these statuses, not yet flagged, unchanged since before the cutoff: oldest change first,
        a page at a time from `after` (the last row of the page before)."""
        query = select(requests).where(requests.c.status.in_(sorted(statuses)),
                                       requests.c.updated_at < unchanged_since, requests.c.stalled_at.is_(None))
        if after is not None:
            query = query.where(tuple_(requests.c.updated_at, requests.c.tracking_number) > tuple_(*after))
        rows = await self._uow.connection.execute(
            query.order_by(requests.c.updated_at, requests.c.tracking_number).limit(limit))
        return [RequestRow(**r) for r in rows.mappings()]

    async def mark_stalled(self, tracking_number: str, unchanged_since: datetime, at: datetime) -> bool:
        """Flag it, unless it moved meanwhile (then its new stay starts afresh)."""
        done = await self._uow.connection.execute(
            update(requests).where(requests.c.tracking_number == tracking_number,
                                   requests.c.updated_at == unchanged_since, requests.c.stalled_at.is_(None))
            .values(stalled_at=at))
        return bool(done.rowcount)

    async def stalled_counts(self, ministry: str | None = None) -> list[tuple[str, str, int]]:
        """(ministry, service, stalled requests), largest first."""
        query = (select(requests.c.ministry, requests.c.service, func.count().label("n"))
                 .where(requests.c.stalled_at.is_not(None)).group_by(requests.c.ministry, requests.c.service))
        if ministry is not None:
            query = query.where(requests.c.ministry == ministry)
        rows = await self._uow.connection.execute(query)
        return sorted(((r.ministry, r.service, int(r.n)) for r in rows), key=lambda t: (-t[2], t[0], t[1]))

    async def queue(self, query: QueueFilter, *, limit: int, offset: int) -> list[RequestRow]:
        """The ministry's requests matching the filter, those due first."""
        rows = await self._uow.connection.execute(select(requests).where(*queue_conditions(query))
                                                  .order_by(requests.c.due_on, requests.c.tracking_number)
                                                  .limit(limit).offset(offset))
        return [RequestRow(**r) for r in rows.mappings()]

    async def queue_counts(self, wanted: QueueFilter, at: datetime, me: str | None, limit: int = COUNT_LIMIT
                           ) -> tuple[QueueCounts, int]:
        """Every tab's count (they follow the service filter) and the filter's total, each capped at `limit`, in
        one statement: each count walks an index holding all its conditions (tables.py), never the ministry's whole
        history; the total is counted apart only when no tab's count is it."""
        tab = QueueFilter(wanted.ministry, service=wanted.service)
        counted = {status: replace(tab, status=status) for status in STATUSES} | {
            "overdue": replace(tab, overdue_at=at), "unassigned": replace(tab, assignee=UNASSIGNED),
            "stalled": replace(tab, stalled=True)}
        if me is not None:
            counted["assigned_to_me"] = replace(tab, assignee=me)
        if tab_of(wanted, me) is None:
            counted["total"] = wanted
        row = (await self._uow.connection.execute(select(*(
            capped_count(queue_conditions(query), limit).label(name) for name, query in counted.items()
        )))).one()._mapping
        counts = QueueCounts(per_status={s: int(row[s]) for s in STATUSES}, overdue=int(row["overdue"]),
                             assigned_to_me=int(row.get("assigned_to_me", 0)), unassigned=int(row["unassigned"]),
                             stalled=int(row["stalled"]), limit=limit)
        total = counts.total_for(wanted, me)
        return counts, int(row["total"]) if total is None else total

    async def timelines(self, service: str, limit: int = 500) -> list[list[tuple[str, datetime]]]:
        """The applied changes of the service's latest completed requests, each in order."""
        return await self._uow.read(partial(_timelines, service=service, limit=limit))
