"""Transactional outbox and inbox tables, and the relay that publishes the outbox with confirms."""

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from prometheus_client import Gauge
from sqlalchemy import (
    JSON,
    Column,
    Engine,
    Integer,
    MetaData,
    RowMapping,
    Select,
    String,
    Table,
    Text,
    Update,
    bindparam,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.bus import Bus, Envelope, PublishFailed
from shared.bus.topology import also_routed
from shared.db.engine import READ_ONLY, is_sqlite, reader_for, writer_for, writing
from shared.db.types import UtcDateTime
from shared.logging import get_logger
from shared.periodic import Every

log = get_logger(__name__)
OUTBOX_PENDING = Gauge("portal_outbox_pending", "Outbox rows not yet confirmed by the broker", ["service"])
OUTBOX_OLDEST = Gauge("portal_outbox_oldest_pending_seconds",
                      "Age of the oldest outbox row not yet confirmed by the broker (0 when none)", ["service"])
# SQLite: confirmed rows the marker may fall behind by before the relay waits for it.
MARK_LAG_ROWS = 1000
# How often the backlog is counted: a count over the sent_at index, cheap however long the outbox grows.
BACKLOG_EVERY_SECONDS = 5.0


def utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    """min() over a column can come back without the column type's processing (naive on SQLite)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox", metadata,
        Column("position", Integer, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("exchange", String(100), nullable=False),
        Column("routing_key", String(255), nullable=False),
        Column("type", String(200), nullable=False),
        Column("source", String(200), nullable=False),
        Column("subject", String(200)),
        Column("data", JSON, nullable=False),
        Column("traceparent", String(55)),
        Column("tracestate", String(512)),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("sent_at", UtcDateTime(), index=True),
        Column("attempts", Integer, nullable=False, default=0),
        Column("last_error", Text),
    )


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "inbox", metadata,
        Column("event_id", String(36), primary_key=True),
        Column("consumer", String(100), primary_key=True),
        Column("processed_at", UtcDateTime(), nullable=False),
    )


class OutboxRelay:
    """Publishes unsent outbox rows, each subject's in order; a row is marked sent only after the broker confirms it."""

    def __init__(self, engine: AsyncEngine, table: Table, bus: Bus, service: str,
                 poll_seconds: float = 1.0, batch: int = 100, backlog_seconds: float = BACKLOG_EVERY_SECONDS,
                 linger_seconds: float = 0.0) -> None:
        self._engine, self._table, self._bus, self._service = engine, table, bus, service
        self._poll_seconds, self._batch, self._linger = poll_seconds, batch, linger_seconds
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._backlog = Every(backlog_seconds, self.measure_backlog, f"{service}-outbox-backlog", at_start=True)
        self._sqlite = is_sqlite(str(engine.url))
        # SQLite: rows the broker confirmed that are still to be marked sent, marked by a task of their own.
        self._unmarked: set[int] = set()
        # Rows marked sent while a read of unsent rows is under way, whose snapshot may still have them unsent.
        self._marked_during_read: set[int] | None = None
        self._to_mark: tuple[list[int], list[tuple[int, str]]] = ([], [])
        self._marker: asyncio.Task[None] | None = None
        # Its statements, built once (a statement built per batch had its cache key made again each time): the
        # unsent rows in order, and the marks, run for each run of consecutive positions (executemany) where an
        # IN list was rendered afresh for every batch.
        t = table
        self._unsent_rows = select(t).where(t.c.sent_at.is_(None)).order_by(t.c.position).limit(bindparam("most"))
        self._mark_sent = (update(t).where(t.c.position.between(bindparam("first"), bindparam("last")))
                           .values(sent_at=bindparam("at"), attempts=t.c.attempts + 1))
        self._mark_failed = (update(t).where(t.c.position == bindparam("failed"))
                             .values(attempts=t.c.attempts + 1, last_error=bindparam("error")))

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"{self._service}-outbox-relay")
        self._backlog.start()

    async def measure_backlog(self) -> None:
        """The true backlog: every unsent row and the age of the oldest, whatever the relay is doing."""
        t = self._table
        async with self._engine.connect() as connection:
            await connection.execution_options(**{READ_ONLY: True})
            count, oldest = (await connection.execute(
                select(func.count(), func.min(t.c.created_at)).where(t.c.sent_at.is_(None)))).one()
        OUTBOX_PENDING.labels(self._service).set(count)
        age = 0.0 if oldest is None else max((utcnow() - _aware(oldest)).total_seconds(), 0.0)
        OUTBOX_OLDEST.labels(self._service).set(age)

    async def stop(self) -> None:
        """Let the batch in flight finish: cancelling mid-transaction can strand a database connection."""
        await self._backlog.stop()
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout=10)
            await asyncio.wait_for(self._marked(), timeout=10)
        except TimeoutError:
            for task in (self._task, self._marker):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task

    async def _run(self) -> None:
        failures = 0
        while not self._stopping:
            try:
                published = await self._publish_batch()
                failures = 0
            except Exception:
                failures += 1
                log.exception("outbox_relay_failed", attempt=failures)
                published = 0
            if published == self._batch or self._stopping:
                continue
            delay = self._poll_seconds if failures == 0 else min(self._poll_seconds * 2 ** failures, 30.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)
            if self._linger and self._wake.is_set() and not self._stopping:
                # The commits right behind the one that woke it go out in the same batch (one read, one mark).
                await asyncio.sleep(self._linger)
            self._wake.clear()

    async def publish_pending(self) -> int:
        """Publish one batch and mark it sent; return how many rows the broker confirmed."""
        published = await self._publish_batch()
        await self._marked()
        return published

    async def _publish_batch(self) -> int:
        if self._sqlite:
            return await self._publish_then_hand_over()
        return await self._publish_under_row_locks()

    async def _publish_under_row_locks(self) -> int:
        # Several replicas may relay at once: each row is taken by one of them while it is published.
        async with self._engine.begin() as connection:
            rows = (await connection.execute(self._unsent_rows.with_for_update(skip_locked=True),
                                             {"most": self._batch})).mappings().all()
            sent, failures = await self._publish(rows)
            await self._mark(connection, sent, failures)
        return len(sent)

    async def _publish_then_hand_over(self) -> int:
        # SQLite has one relay per database, and holding its write lock while the broker confirms would make every
        # other writer wait. Nor does the next batch wait for this one's mark: the write lock can be minutes away
        # behind a burst of writers (a ministry's backlog applied at once), and every row behind would wait as long.
        # A crash before marking republishes (consumers dedupe).
        if len(self._unmarked) >= MARK_LAG_ROWS:
            await self._marked()
        self._marked_during_read = set()
        try:
            fetched = await self._unsent(self._batch + len(self._unmarked))
        finally:
            marked_during_read, self._marked_during_read = self._marked_during_read, None
        # A mark that finished during the read took its rows out of _unmarked, but the read's snapshot may be older
        # than the mark: those rows are not published again.
        taken = self._unmarked | marked_during_read
        rows = [row for row in fetched if row["position"] not in taken][:self._batch]
        if not rows:
            return 0
        sent, failures = await self._publish(rows)
        self._unmarked.update(sent)
        self._to_mark[0].extend(sent)
        self._to_mark[1].extend(failures)
        if self._marker is None or self._marker.done():
            self._marker = asyncio.create_task(self._mark_handed_over(), name=f"{self._service}-outbox-marker")
        return len(sent)

    async def _mark_handed_over(self) -> None:
        while self._to_mark[0] or self._to_mark[1]:
            (sent, failures), self._to_mark = self._to_mark, ([], [])
            try:
                async with writing(self._engine):
                    await self._mark_in_one_hop(sent, failures)
            except Exception:
                # They go out again, as after a crash: at least once, and consumers dedupe.
                log.exception("outbox_mark_failed", rows=len(sent))
            else:
                if self._marked_during_read is not None:
                    self._marked_during_read.update(sent)
            finally:
                self._unmarked.difference_update(sent)

    async def _unsent(self, most: int) -> Sequence[RowMapping]:
        """The rows to publish: read in one hop to a worker thread where SQLite's reader is at hand (reader_for),
        where aiosqlite made about eight (a connection's BEGIN, the query's cursor, execute, rows and close, its
        reset)."""
        reader = reader_for(self._engine)
        if reader is not None:
            return await asyncio.to_thread(_read_rows, reader, self._unsent_rows, most)
        async with self._engine.connect() as connection:
            await connection.execution_options(**{READ_ONLY: True})
            rows: Sequence[RowMapping] = (await connection.execute(self._unsent_rows, {"most": most})).mappings().all()
        return rows

    async def _mark_in_one_hop(self, sent: list[int], failures: list[tuple[int, str]]) -> None:
        """Marked in one transaction as before, run whole in one worker thread on SQLite's writer (writer_for)."""
        writer = writer_for(self._engine)
        if writer is not None:
            await asyncio.to_thread(_write, writer, self._marks(sent, failures))
            return
        async with self._engine.begin() as connection:
            await self._mark(connection, sent, failures)

    async def _marked(self) -> None:
        """Wait until every row confirmed so far is marked sent."""
        while self._marker is not None and not self._marker.done():
            await asyncio.shield(self._marker)

    async def _publish(self, rows: Sequence[RowMapping]) -> tuple[list[int], list[tuple[int, str]]]:
        """Publish the batch with each subject's rows in order, and different subjects side by side: one confirm
        round trip per row made a burst (a ministry's backlog applied at once) hold up every row behind it."""
        lanes: dict[str | None, list[RowMapping]] = {}
        for row in rows:
            lanes.setdefault(row["subject"], []).append(row)
        outcomes = await asyncio.gather(*(self._publish_lane(lane) for lane in lanes.values()))
        sent = sorted(position for confirmed, _ in outcomes for position in confirmed)
        return sent, [failure for _, failure in outcomes if failure is not None]

    async def _publish_lane(self, rows: list[RowMapping]) -> tuple[list[int], tuple[int, str] | None]:
        sent: list[int] = []
        for row in rows:
            envelope = Envelope(type=row["type"], source=row["source"], data=row["data"], subject=row["subject"],
                                id=row["event_id"], time=row["created_at"], traceparent=row["traceparent"],
                                tracestate=row["tracestate"])
            try:
                await self._bus.publish(envelope, row["exchange"], row["routing_key"],
                                        also_to=also_routed(row["routing_key"], row["subject"]))
            except PublishFailed as exc:
                # Keep the subject's order: its later rows wait until this one goes through.
                log.warning("outbox_publish_failed", event_type=row["type"], error=str(exc))
                return sent, (row["position"], str(exc)[:1000])
            sent.append(row["position"])
        return sent, None

    async def _mark(self, connection: AsyncConnection, sent: list[int], failures: list[tuple[int, str]]) -> None:
        for statement, parameters in self._marks(sent, failures):
            await connection.execute(statement, parameters)

    def _marks(self, sent: list[int], failures: list[tuple[int, str]]) -> list[tuple[Update, list[dict[str, Any]]]]:
        """The rows sent, marked a run of consecutive positions at a time, and the rows that failed."""
        marks: list[tuple[Update, list[dict[str, Any]]]] = []
        if sent:
            at = utcnow()
            marks.append((self._mark_sent, [{"first": first, "last": last, "at": at}
                                            for first, last in runs(sorted(sent))]))
        if failures:
            marks.append((self._mark_failed, [{"failed": position, "error": error}
                                              for position, error in failures]))
        return marks


def runs(positions: list[int]) -> list[tuple[int, int]]:
    """Ascending positions as (first, last) runs of consecutive ones: 3, 4, 5, 9 as (3, 5), (9, 9)."""
    found: list[tuple[int, int]] = []
    for position in positions:
        if found and position == found[-1][1] + 1:
            found[-1] = (found[-1][0], position)
        else:
            found.append((position, position))
    return found


def _read_rows(reader: Engine, query: Select[Any], most: int) -> Sequence[RowMapping]:
    with reader.connect() as connection, connection.begin():
        return connection.execute(query, {"most": most}).mappings().all()


def _write(writer: Engine, statements: list[tuple[Update, list[dict[str, Any]]]]) -> None:
    with writer.begin() as connection:
        for statement, parameters in statements:
            connection.execute(statement, parameters)
