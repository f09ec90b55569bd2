"""Where the SDK keeps a ministry's work: the event ids it has handled (inbox) and what it has yet to publish (outbox).

`SqliteStore` keeps both in one local file, so a ministry's process can die at any moment (kill -9, power cut)
and nothing it decided is lost or done twice. `MemoryStore` keeps them in the process only; with it the SDK acks a
request only once everything its handler published has been confirmed by the broker. Any other store (the
ministry's own database) subclasses `MinistryStore`.
"""

import abc
import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
INBOX_DAYS = 7


@dataclass(frozen=True)
class Outgoing:
    """An event to publish: the envelope as bytes, its routing key, and when it may go (a Unix time)."""

    event_id: str
    routing_key: str
    body: bytes
    due_at: float


class MinistryStore(abc.ABC):
    durable: bool = False
    """True when what `commit` keeps survives the process: the SDK may then ack before the broker confirms."""

    @abc.abstractmethod
    async def seen(self, event_id: str) -> bool:
        """Whether a delivery with this event id was already handled."""

    @abc.abstractmethod
    async def commit(self, handled: str | None, events: list[Outgoing]) -> bool:
        """Atomically record `handled` (an inbound event id, if any) and keep `events` for publishing.

        False, keeping nothing, when `handled` was already recorded (a duplicate handled concurrently).
        """

    @abc.abstractmethod
    async def due(self, now: float, limit: int = 100) -> list[Outgoing]:
        """Events whose time has come, oldest first (by due time, then in the order they were kept)."""

    @abc.abstractmethod
    async def sent(self, event_id: str) -> None:
        """The broker confirmed it: never publish it again."""

    async def sent_all(self, event_ids: list[str]) -> None:
        """The broker confirmed them all (a store that can, marks them in one transaction)."""
        for event_id in event_ids:
            await self.sent(event_id)

    @abc.abstractmethod
    async def backlog(self, now: float) -> tuple[int, float | None, float | None]:
        """(events due and unsent, the oldest due time among them, the next due time of any unsent event)."""

    @abc.abstractmethod
    async def forget_before(self, moment: float) -> None:
        """Drop inbox records older than `moment` (redeliveries come within minutes, not days)."""

    async def close(self) -> None:
        return None


class MemoryStore(MinistryStore):
    def __init__(self) -> None:
        self._handled: dict[str, float] = {}
        self._unsent: dict[str, tuple[int, Outgoing]] = {}
        self._position = 0

    async def seen(self, event_id: str) -> bool:
        return event_id in self._handled

    async def commit(self, handled: str | None, events: list[Outgoing]) -> bool:
        if handled is not None:
            if handled in self._handled:
                return False
            self._handled[handled] = time.time()
        for event in events:
            if event.event_id not in self._unsent:
                self._position += 1
                self._unsent[event.event_id] = (self._position, event)
        return True

    def _ordered(self) -> list[Outgoing]:
        return [event for _, event in sorted(self._unsent.values(), key=lambda kept: (kept[1].due_at, kept[0]))]

    async def due(self, now: float, limit: int = 100) -> list[Outgoing]:
        return [event for event in self._ordered() if event.due_at <= now][:limit]

    async def sent(self, event_id: str) -> None:
        self._unsent.pop(event_id, None)

    async def backlog(self, now: float) -> tuple[int, float | None, float | None]:
        times = [event.due_at for _, event in self._unsent.values()]
        due = [t for t in times if t <= now]
        return len(due), min(due, default=None), min(times, default=None)

    async def forget_before(self, moment: float) -> None:
        self._handled = {event_id: at for event_id, at in self._handled.items() if at >= moment}


_SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox (event_id TEXT PRIMARY KEY, handled_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    routing_key TEXT NOT NULL,
    body BLOB NOT NULL,
    due_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (due_at, position);
CREATE INDEX IF NOT EXISTS inbox_age ON inbox (handled_at);
"""


class SqliteStore(MinistryStore):
    """One SQLite file (WAL, synchronous FULL: a commit survives a power cut); calls run off the event loop."""

    durable = True

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        def locked() -> T:
            with self._lock:
                return work(self._db)
        return await asyncio.to_thread(locked)

    async def seen(self, event_id: str) -> bool:
        return await self._run(lambda db: db.execute("SELECT 1 FROM inbox WHERE event_id = ?",
                                                     (event_id,)).fetchone() is not None)

    async def commit(self, handled: str | None, events: list[Outgoing]) -> bool:
        def write(db: sqlite3.Connection) -> bool:
            db.execute("BEGIN IMMEDIATE")
            try:
                if handled is not None and db.execute("INSERT OR IGNORE INTO inbox VALUES (?, ?)",
                                                      (handled, time.time())).rowcount == 0:
                    db.execute("ROLLBACK")
                    return False
                db.executemany("INSERT OR IGNORE INTO outbox (event_id, routing_key, body, due_at) VALUES (?, ?, ?, ?)",
                               [(e.event_id, e.routing_key, e.body, e.due_at) for e in events])
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            return True
        return await self._run(write)

    async def due(self, now: float, limit: int = 100) -> list[Outgoing]:
        rows = await self._run(lambda db: db.execute(
            "SELECT event_id, routing_key, body, due_at FROM outbox WHERE due_at <= ? ORDER BY due_at, position "
            "LIMIT ?", (now, limit)).fetchall())
        return [Outgoing(event_id, routing_key, bytes(body), due_at) for event_id, routing_key, body, due_at in rows]

    async def sent(self, event_id: str) -> None:
        await self._run(lambda db: db.execute("DELETE FROM outbox WHERE event_id = ?", (event_id,)))

    async def sent_all(self, event_ids: list[str]) -> None:
        def forget(db: sqlite3.Connection) -> None:
            # One transaction (one fsync) for a batch the broker confirmed, not one per event.
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany("DELETE FROM outbox WHERE event_id = ?", [(event_id,) for event_id in event_ids])
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        await self._run(forget)

    async def backlog(self, now: float) -> tuple[int, float | None, float | None]:
        def read(db: sqlite3.Connection) -> tuple[int, float | None, float | None]:
            count, oldest = db.execute("SELECT count(*), min(due_at) FROM outbox WHERE due_at <= ?", (now,)).fetchone()
            (upcoming,) = db.execute("SELECT min(due_at) FROM outbox").fetchone()
            return int(count), oldest, upcoming
        return await self._run(read)

    async def forget_before(self, moment: float) -> None:
        await self._run(lambda db: db.execute("DELETE FROM inbox WHERE handled_at < ?", (moment,)))

    async def close(self) -> None:
        await self._run(lambda db: db.close())
