"""Unit of work: one transaction for the state change, its outgoing events and the inbox record."""

import asyncio
import contextlib
import functools
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable
from types import TracebackType
from typing import Any, Generic, Protocol, Self, TypeVar, cast

from pydantic import BaseModel
from sqlalchemy import Insert, Table, insert, select, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.contracts.base import IntegrationEvent
from shared.db.engine import READ_ONLY, DatabaseBusy, reader_for, writer_for, writing
from shared.db.outbox import OutboxRelay, utcnow
from shared.tracing import TRACEPARENT, TRACESTATE, outgoing_headers

U_co = TypeVar("U_co", bound="UnitOfWork", covariant=True)
T = TypeVar("T")
U = TypeVar("U", bound="UnitOfWork")
# PostgreSQL's SQLSTATEs for a lock_timeout and a statement_timeout.
LOCK_NOT_AVAILABLE, QUERY_CANCELED = "55P03", "57014"


def is_timeout(exc: BaseException | None) -> bool:
    """A PostgreSQL lock_timeout or statement_timeout: a unit of work with a deadline gave up waiting."""
    return isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) in (LOCK_NOT_AVAILABLE, QUERY_CANCELED)


class UnitOfWorkFactory(Protocol[U_co]):
    """Opens a unit of work; read_only ones never wait behind writers (SQLite) and must not write. With a deadline
    (the event loop's time), it commits by then or raises DatabaseBusy having written nothing."""

    def __call__(self, *, read_only: bool = False, deadline: float | None = None) -> U_co: ...


class UnitOfWork:
    def __init__(self, engine: AsyncEngine, outbox: Table, inbox: Table, source: str,
                 relay: OutboxRelay | None = None, *, read_only: bool = False, deadline: float | None = None) -> None:
        self._engine, self._outbox, self._inbox = engine, outbox, inbox
        self._source, self._relay, self._read_only, self._deadline = source, relay, read_only, deadline
        self._connection: AsyncConnection | None = None
        # Events recorded by publish(), written to the outbox in one statement at commit.
        self._outgoing: list[dict[str, object]] = []
        self._turn = contextlib.AsyncExitStack()
        # Handlers that entered this open unit of work as their own (see joined()).
        self._joinable, self._joined = False, 0
        # SQLite's writer, when entered in_one_hop(): the unit's work then runs whole in a worker thread (run()).
        self._one_hop = False
        self._writer: Engine | None = None
        # The event loop's time less the monotonic clock, for now() in that worker thread.
        self._offset = 0.0
        self._stopping = threading.Event()
        self._wake_relay = False

    @property
    def connection(self) -> AsyncConnection:
        if self._connection is None:
            raise RuntimeError("the unit of work is not open")
        return self._connection

    def in_one_hop(self) -> Self:
        """This unit of work, to enter and then run() one piece of work in. On SQLite (a database file) it takes the
        write turn and no async connection: run() makes the work's transaction, BEGIN to COMMIT, in one worker
        thread on the writer (writer_for), one hop where aiosqlite makes three or four per statement. Elsewhere
        it is an ordinary unit of work."""
        self._one_hop = not self._read_only
        return self

    async def run(self, work: Callable[[Self], Coroutine[Any, Any, T]]) -> T:
        """work(self) on this open unit of work: it commits (or not) as it would anywhere. Entered in_one_hop() on
        SQLite it runs in a worker thread, where it may await nothing but this unit's own statements and
        savepoints (there is no event loop there); if this task is cancelled meanwhile, it is not committed."""
        if self._writer is None:
            return await work(self)
        thread = asyncio.ensure_future(asyncio.to_thread(self._run_in_thread, self._writer, work))
        try:
            done = await asyncio.shield(thread)
        except asyncio.CancelledError:
            self._stopping.set()
            with contextlib.suppress(Exception):
                await thread
            raise
        finally:
            if self._wake_relay and self._relay is not None:
                self._wake_relay = False
                self._relay.wake()
        return done

    def _run_in_thread(self, writer: Engine, work: Callable[[Self], Coroutine[Any, Any, T]]) -> T:
        with writer.connect() as connection:
            # Only statements run in this thread, synchronously: the connection's AsyncConnection face.
            self._connection = cast(AsyncConnection, _SyncBacked(connection))
            try:
                return _to_the_end(work(self))
            finally:
                self._connection = None
                self._outgoing = []

    def now(self) -> float:
        """The event loop's time (deadlines are in it), read in the worker thread of run() too."""
        return time.monotonic() + self._offset

    def joined(self) -> "UnitOfWorkFactory[Self]":
        """Units of work that are this open one, for the handlers of a batch applied in one transaction: each opens
        and commits its own as if alone, and what they all wrote is committed when this one commits (one commit,
        one fsync on SQLite, for the batch) or rolled back with it."""
        self._joinable = True
        return _Joined(self)

    async def __aenter__(self) -> Self:
        if self._joinable and self._connection is not None:
            self._joined += 1
            return self
        if not self._read_only:
            await self._turn.enter_async_context(writing(self._engine, self._deadline))
        self._offset = asyncio.get_running_loop().time() - time.monotonic()
        self._writer = writer_for(self._engine) if self._one_hop else None
        if self._writer is not None:
            return self
        try:
            async with asyncio.timeout_at(self._deadline):
                self._connection = await self._engine.connect()
        except TimeoutError as exc:
            await self._turn.aclose()
            raise DatabaseBusy("no database connection came free before the deadline") from exc
        except BaseException:
            await self._turn.aclose()
            raise
        if self._deadline is not None and self._engine.dialect.name == "postgresql":
            await self._wait_for_locks_until_the_deadline()
        if self._read_only:
            options: dict[str, object] = {READ_ONLY: True}
            if self._engine.dialect.name == "postgresql":
                # One snapshot for all its statements, so a count and the page beside it always agree.
                options["isolation_level"] = "REPEATABLE READ"
            await self._connection.execution_options(**options)
        return self

    async def _wait_for_locks_until_the_deadline(self) -> None:
        """A row another transaction holds (a worker stopped mid-transaction) is waited for only until the deadline:
        then the statement gives up and frees its connection, rather than the pool filling with waiters."""
        remaining_ms = int(((self._deadline or 0.0) - asyncio.get_running_loop().time()) * 1000)
        if remaining_ms <= 0:
            raise DatabaseBusy("the unit of work began after its deadline")
        await self.connection.execute(text("SELECT set_config('lock_timeout', :ms, true), "
                                           "set_config('statement_timeout', :ms, true)"), {"ms": str(remaining_ms)})

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        if self._joined:
            self._joined -= 1
            return
        if self._writer is not None:
            self._writer = None
            await self._turn.aclose()
            return
        connection, self._connection = self.connection, None
        try:
            if connection.in_transaction():
                await connection.rollback()
        finally:
            try:
                await connection.close()
            finally:
                await self._turn.aclose()
        if self._deadline is not None and is_timeout(exc):
            raise DatabaseBusy("a lock or statement outlasted the unit of work's deadline") from exc

    async def read(self, reading: Callable[[Connection], T]) -> T:
        """`reading`'s statements, run one after the other on a synchronous connection, in one hop to the driver.

        On SQLite a read-only unit of work runs them in a worker thread on the reader (reader_for), in a snapshot
        of their own, and needs no connection of its own: one not entered (`await factory(read_only=True).read(...)`)
        opens none. Otherwise they run on this unit of work's connection, in its transaction; one not entered is
        opened for this read alone."""
        reader = reader_for(self._engine) if self._read_only else None
        if reader is not None:
            return await asyncio.to_thread(_read_with, reader, reading)
        if self._connection is None:
            async with self:
                return await self.connection.run_sync(reading)
        return await self.connection.run_sync(reading)

    @contextlib.asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A part of the transaction that an error inside rolls back alone, the events it published with it."""
        published = len(self._outgoing)
        try:
            async with self.connection.begin_nested():
                yield
        except BaseException:
            del self._outgoing[published:]
            raise

    async def commit(self) -> None:
        if self._joined:
            return
        outgoing, self._outgoing = self._outgoing, []
        if outgoing:
            # One multi-row INSERT, in the order published: a submission's two events were two statements.
            await self.connection.execute(_insert_into(self._outbox), outgoing)
        if self._deadline is not None and self.now() > self._deadline:
            # Its caller may have been told it failed (a gateway's timeout): it must not happen after all.
            raise DatabaseBusy("the unit of work could not commit before its deadline")
        if self._stopping.is_set():
            raise DatabaseBusy("the service is stopping")
        await self.connection.commit()
        if outgoing and self._relay is not None:
            if self._writer is not None:
                # In run()'s worker thread: woken from the event loop once it is done (an asyncio.Event is not
                # thread-safe).
                self._wake_relay = True
            else:
                self._relay.wake()

    async def rollback(self) -> None:
        """Undo what this open unit of work wrote and published so far; it stays open, its next statement beginning a
        transaction afresh (with the same deadline)."""
        self._outgoing = []
        await self.connection.rollback()
        if self._writer is None and self._deadline is not None and self._engine.dialect.name == "postgresql":
            await self._wait_for_locks_until_the_deadline()

    async def publish(self, event: IntegrationEvent | BaseModel, *, exchange: str, routing_key: str,
                      subject: str | None = None, event_id: str | None = None,
                      trace_context: dict[str, str] | None = None) -> None:
        """Record an event to publish once this transaction commits (written to the outbox by commit()); it carries
        the current trace, or trace_context (the trace of a caller whose write another task makes: GroupCommit)."""
        event_type = getattr(event, "TYPE", None)
        if not event_type:
            raise TypeError(f"{type(event).__name__} is not an integration event")
        if trace_context is None:
            trace_context = outgoing_headers()
        values = {"exchange": exchange, "routing_key": routing_key, "type": event_type, "source": self._source,
                  "subject": subject, "data": event.model_dump(mode="json"),
                  "traceparent": trace_context.get(TRACEPARENT),
                  "tracestate": (trace_context.get(TRACESTATE) or "")[:512] or None,
                  "created_at": utcnow(), "attempts": 0}
        values["event_id"] = event_id or str(uuid.uuid4())
        self._outgoing.append(values)

    async def claim(self, event_id: str, consumer: str) -> bool:
        """Record that this consumer applies the event; False when it already has (a redelivery)."""
        dialect = self.connection.dialect.name
        values = {"event_id": event_id, "consumer": consumer, "processed_at": utcnow()}
        if dialect in ("postgresql", "sqlite"):
            done = await self.connection.execute(_claim_into(dialect, self._inbox), values)
            return bool(done.rowcount)
        seen = await self.connection.execute(select(self._inbox.c.event_id).where(
            self._inbox.c.event_id == event_id, self._inbox.c.consumer == consumer))
        if seen.first() is not None:
            return False
        await self.connection.execute(insert(self._inbox).values(**values))
        return True

    async def claim_many(self, keys: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
        """claim() for a batch of (event id, consumer) in one statement; returns the keys not claimed before (a key
        twice in the batch is returned once). PostgreSQL and SQLite."""
        now = utcnow()
        rows = [{"event_id": event_id, "consumer": consumer, "processed_at": now}
                for event_id, consumer in dict.fromkeys(keys)]
        if not rows:
            return set()
        upsert = postgresql_insert if self.connection.dialect.name == "postgresql" else sqlite_insert
        claimed = await self.connection.execute(
            upsert(self._inbox).on_conflict_do_nothing().returning(self._inbox.c.event_id, self._inbox.c.consumer),
            rows)
        return {(row.event_id, row.consumer) for row in claimed}


@functools.cache
def _insert_into(outbox: Table) -> Insert:
    """Built once per table, as _claim_into: a statement built per commit had its cache key made again each time."""
    return insert(outbox)


@functools.cache
def _claim_into(dialect: str, inbox: Table) -> Insert:
    upsert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return upsert(inbox).on_conflict_do_nothing()


class _SyncBacked:
    """A synchronous connection with the face of an AsyncConnection (the part units of work use), for work run whole
    in a worker thread (UnitOfWork.run): each call is made there and then, and its coroutine never suspends."""

    def __init__(self, connection: Connection) -> None:
        self.sync_connection = connection
        self.dialect = connection.dialect

    async def execute(self, statement: Any, parameters: Any = None) -> Any:
        return self.sync_connection.execute(statement, parameters)

    async def run_sync(self, fn: Callable[[Connection], T]) -> T:
        return fn(self.sync_connection)

    @contextlib.asynccontextmanager
    async def begin_nested(self) -> AsyncIterator[None]:
        with self.sync_connection.begin_nested():
            yield

    def in_transaction(self) -> bool:
        return self.sync_connection.in_transaction()

    async def commit(self) -> None:
        self.sync_connection.commit()

    async def rollback(self) -> None:
        self.sync_connection.rollback()


def _to_the_end(work: Awaitable[T]) -> T:
    """The result of a coroutine that never suspends (see _SyncBacked), run in the calling thread."""
    steps = work.__await__()
    try:
        steps.send(None)
    except StopIteration as done:
        return cast(T, done.value)
    steps.close()
    raise RuntimeError("work run in one hop waited for the event loop, which its worker thread has not")


def _read_with(reader: Engine, reading: Callable[[Connection], T]) -> T:
    with reader.connect() as connection, connection.begin():
        return reading(connection)


class _Joined(Generic[U]):
    def __init__(self, unit: U) -> None:
        self._unit = unit

    def __call__(self, *, read_only: bool = False, deadline: float | None = None) -> U:
        return self._unit
