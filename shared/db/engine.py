"""The one place engines are created: SQLite (embedded default) or PostgreSQL, both async."""

import asyncio
import contextlib
import fcntl
import os
import threading
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.instrumentation.sqlalchemy.version import __version__ as _instrumentation_version
from opentelemetry.semconv.metrics import MetricInstruments
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine

from shared import json_codec
from shared.tracing import ChildSpansOnly, tracing_enabled

READ_ONLY = "portal_read_only"


# JSON columns (a request's answers, an outbox row's event, a notification's parameters) through orjson.
_JSON: dict[str, Any] = {"json_serializer": json_codec.dumps_text, "json_deserializer": json_codec.loads}


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def engine_for(url: str) -> AsyncEngine:
    """An async engine; SQL parameters (citizens' data) never appear in its error messages."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = _create_async_engine(url, connect_args={"timeout": 30}, hide_parameters=True, **_JSON)

        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return _traced(engine)
    engine = _create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True, hide_parameters=True,
                                  **_JSON)
    if engine.dialect.driver == "asyncpg":
        # The dialect's ping wraps its ';' in BEGIN and ROLLBACK (for PgBouncer's transaction mode, not used here):
        # three round trips on every checkout, a group commit's batch and an outbox batch each paying them.
        engine.sync_engine.dialect.do_ping = _ping_in_one_round_trip  # type: ignore[method-assign]
    return _traced(engine)


def _ping_in_one_round_trip(dbapi_connection: Any) -> bool:
    """pool_pre_ping's check of a pooled asyncpg connection: an error is the driver's own, translated as the dialect's
    ping translates it, so a dead connection is replaced before use exactly as before."""
    try:
        dbapi_connection.run_async(_empty_query)
    except Exception as error:
        dbapi_connection._handle_exception(error)
    return True


async def _empty_query(driver: Any) -> None:
    await driver.fetchrow(";")


def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # A writer takes the write lock at BEGIN, so two writers never deadlock upgrading a read lock;
    # a reader does not, so reads never queue behind writes (WAL gives it a snapshot).
    read_only = connection.get_execution_options().get(READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _traced(engine: AsyncEngine) -> AsyncEngine:
    _instrument(engine.sync_engine)
    return engine


class _SampledStatements(EngineTracer):
    """OpenTelemetry's SQLAlchemy spans, made for the statements of a sampled trace only. The instrumentation itself
    reads the engine's URL, takes the statement's first word with a regex and makes the current context on every
    statement, a span or not (py-spy: 4-6 % of the requests service's CPU at 1 % sampling); here an unsampled
    statement costs one check."""

    def _before_cur_exec(self, conn: Any, cursor: Any, statement: Any, params: Any, context: Any,
                         executemany: bool) -> tuple[Any, Any]:
        if not trace.get_current_span().is_recording():
            return statement, params
        return super()._before_cur_exec(conn, cursor, statement, params, context, executemany)  # type: ignore[no-untyped-call,no-any-return]


def _instrument(engine: Engine) -> None:
    """Statement spans for this engine. Not SQLAlchemyInstrumentor().instrument(engine=...): that instruments the
    first engine of a process only (the instrumentor is a singleton), and wraps every Engine.connect, a pool
    checkout, in a "connect" span of its own."""
    if not tracing_enabled():
        return
    name = "opentelemetry.instrumentation.sqlalchemy"
    connections = metrics.get_meter(name, _instrumentation_version).create_up_down_counter(
        name=MetricInstruments.DB_CLIENT_CONNECTIONS_USAGE, unit="connections",
        description="The number of connections that are currently in state described by the state attribute.")
    _SampledStatements(ChildSpansOnly(trace.get_tracer_provider()).get_tracer(name, _instrumentation_version),  # type: ignore[no-untyped-call]
                       engine, connections)


_READERS: "weakref.WeakKeyDictionary[Engine, Engine]" = weakref.WeakKeyDictionary()


def reader_for(engine: AsyncEngine) -> Engine | None:
    """SQLite: a synchronous engine on the same database file, for reads run whole in one worker thread.

    aiosqlite hands every driver call (a cursor, its execute, its rows, its close) to the connection's thread and
    back: a read of three statements made about fifteen such hops, each a thread wake-up that waits for a CPU on
    a loaded machine. A read run here is one hop. None on PostgreSQL, whose driver is asyncio's own."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return None
    reader = _READERS.get(engine.sync_engine)
    if reader is None:
        reader = create_engine(engine.url.set(drivername="sqlite+pysqlite"), hide_parameters=True, **_JSON,
                               connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(reader, "connect")
        def _pragmas(dbapi_connection: Any, _: Any) -> None:
            dbapi_connection.isolation_level = None
            # A reader never writes: SQLite refuses it, whatever the code running there does.
            dbapi_connection.execute("PRAGMA query_only=ON")

        @event.listens_for(reader, "begin")
        def _begin(connection: Any) -> None:
            # A deferred BEGIN: one WAL snapshot for all the read's statements, never waiting behind a writer.
            connection.exec_driver_sql("BEGIN")

        _instrument(reader)
        _READERS[engine.sync_engine] = reader
    return reader


_WRITERS: "weakref.WeakKeyDictionary[Engine, Engine]" = weakref.WeakKeyDictionary()


def writer_for(engine: AsyncEngine) -> Engine | None:
    """SQLite: a synchronous engine on the same database file, for a write run whole in one worker thread, taken
    under the write turn (`writing`): one hop, where aiosqlite makes three or four per statement and two more for
    BEGIN and COMMIT. Its connections are set up as the async engine's (the same pragmas, BEGIN IMMEDIATE), so a
    commit is as durable. None on PostgreSQL."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return None
    writer = _WRITERS.get(engine.sync_engine)
    if writer is None:
        writer = create_engine(engine.url.set(drivername="sqlite+pysqlite"), hide_parameters=True, **_JSON,
                               connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(writer, "connect", _sqlite_pragmas)
        event.listen(writer, "begin", _sqlite_begin)
        _instrument(writer)
        _WRITERS[engine.sync_engine] = writer
    return writer


async def dispose(engine: AsyncEngine) -> None:
    """Close the engine's connections, and its reader's and writer's (reader_for, writer_for)."""
    for kept in (_READERS, _WRITERS):
        synchronous = kept.pop(engine.sync_engine, None)
        if synchronous is not None:
            synchronous.dispose()
    await engine.dispose()


# How long one process's writers may keep SQLite's write turn while others wait for it.
BURST_SECONDS = 0.02


class DatabaseBusy(Exception):
    """The write could not be made before its deadline, and nothing was written: the caller may try again."""

    RETRY_AFTER_SECONDS = 2


class _WriteTurn:
    """SQLite's one writer, taken in turn by the writers of every process on the database file.

    A process's writers queue on an asyncio lock, and the processes on an exclusive flock of a file beside the
    database, which the kernel wakes a waiter for as soon as it is released. Left to SQLite's busy handler, a
    waiting process sleeps up to 100 ms between tries while a process with a backlog (a worker draining its
    queue) takes the lock again within a millisecond of committing: submissions waited behind whole backlogs.
    """

    def __init__(self, database: str | None) -> None:
        self._queue = asyncio.Lock()
        self._waiting = 0
        self._path = f"{database}.write-turn" if database and database != ":memory:" else None
        # The flocked file kept for this process's next writer, and when this process's turn began.
        self._kept: int | None = None
        self._since = 0.0
        self._yielding = False

    @asynccontextmanager
    async def __call__(self, deadline: float | None) -> AsyncIterator[None]:
        self._waiting += 1
        try:
            async with asyncio.timeout_at(deadline):
                await self._queue.acquire()
        except TimeoutError as exc:
            raise DatabaseBusy("this process's writers were still ahead at the deadline") from exc
        finally:
            self._waiting -= 1
        try:
            if self._path is None:
                yield
                return
            descriptor = await self._turn(deadline)
            try:
                yield
            finally:
                self._pass_on(descriptor)
        finally:
            self._queue.release()

    async def _turn(self, deadline: float | None) -> int:
        if self._kept is not None:
            descriptor, self._kept = self._kept, None
            return descriptor
        assert self._path is not None
        descriptor = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        taken, self._yielding = self._take(descriptor, at_once=not self._yielding), False
        try:
            async with asyncio.timeout_at(deadline):
                await asyncio.shield(taken)
        except BaseException as exc:
            # The taker gets it in the end: it is released then (closing the file releases its flock).
            taken.add_done_callback(lambda _: os.close(descriptor))
            if isinstance(exc, TimeoutError):
                raise DatabaseBusy("another process was still writing at the deadline") from exc
            raise
        self._since = asyncio.get_running_loop().time()
        return descriptor

    def _pass_on(self, descriptor: int) -> None:
        """This process's next writer keeps the turn within a short burst: handing it between processes after every
        transaction cost a cross-process wake-up each, and a third of the writes' throughput under load."""
        loop = asyncio.get_running_loop()
        if self._waiting and loop.time() - self._since < BURST_SECONDS:
            self._kept = descriptor
            loop.call_later(BURST_SECONDS, self._release_unused)
            return
        os.close(descriptor)
        # The burst is over: the next writer here queues behind any other process's waiter the kernel just woke,
        # rather than take the turn back before that waiter has run.
        self._yielding = bool(self._waiting)

    def _release_unused(self) -> None:
        """The writers it was kept for gave up waiting (their deadline passed): the other processes' turn."""
        if self._kept is not None:
            os.close(self._kept)
            self._kept = None

    @staticmethod
    def _take(descriptor: int, at_once: bool) -> "asyncio.Future[None]":
        """The flock now if it is free (and at_once); otherwise a daemon thread waits for it (a daemon, so a process
        may exit while another holds the turn, stopped say), and the kernel wakes it as soon as it is released."""
        loop = asyncio.get_running_loop()
        taken: asyncio.Future[None] = loop.create_future()
        try:
            if not at_once:
                raise BlockingIOError
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            def wait() -> None:
                fcntl.flock(descriptor, fcntl.LOCK_EX)
                with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: the process is ending
                    loop.call_soon_threadsafe(taken.set_result, None)

            threading.Thread(target=wait, name="sqlite-write-turn", daemon=True).start()
        else:
            taken.set_result(None)
        return taken


_TURNS: "weakref.WeakKeyDictionary[Engine, _WriteTurn]" = weakref.WeakKeyDictionary()


@asynccontextmanager
async def writing(engine: AsyncEngine, deadline: float | None = None) -> AsyncIterator[None]:
    """SQLite takes one writer at a time: writers take turns here rather than in SQLite's busy handler (see
    _WriteTurn). With a deadline (the event loop's time), DatabaseBusy is raised if the turn has not come by then."""
    if engine.dialect.name != "sqlite":
        yield
        return
    turn = _TURNS.get(engine.sync_engine)
    if turn is None:
        turn = _TURNS[engine.sync_engine] = _WriteTurn(engine.url.database)
    async with turn(deadline):
        yield


async def database_answers(engine: AsyncEngine) -> bool:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    return True
