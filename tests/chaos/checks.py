"""What a chaos scenario must leave behind, read as an operator would: the services' databases and the citizen's API."""

import asyncio
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from sqlalchemy import bindparam, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from portal.up import BACKENDS
from shared.db.engine import engine_for
from tests.chaos.load import Load, Submitted, answered
from tests.chaos.portal import ChaosPortal

OUTBOX_SERVICES = tuple(s for s in BACKENDS if s != "search")


@dataclass
class Outcome:
    scenario: str
    database: str
    submitted: int = 0
    refused: int = 0
    completed: int = 0
    lost: int = 0
    extra_requests: int = 0
    applied_twice: int = 0
    repeated_history: int = 0
    repeated_notifications: int = 0
    missing_notifications: int = 0
    stuck: int = 0
    outbox_pending: int = 0
    recovery_seconds: float | None = None
    p95_seconds: float | None = None
    p95_others_seconds: float | None = None
    targeted: str | None = None
    """The ministry the fault hit; the others' p95 is held to `baseline_p95_seconds`."""
    baseline_p95_seconds: float | None = None
    """What the others' p95 is held to: its control run's (or the no-fault run's, for a ministry found only
    once the fault ran)."""
    notes: list[str] = field(default_factory=list)

    @property
    def duplicated(self) -> int:
        return self.extra_requests + self.applied_twice + self.repeated_notifications

    def failures(self, baseline_p95: float | None = None, tolerance: float = 0.10) -> list[str]:
        found = [f"{name}={value}" for name, value in (
            ("lost", self.lost), ("duplicated", self.duplicated), ("stuck", self.stuck),
            ("repeated_history", self.repeated_history), ("missing_notifications", self.missing_notifications),
            ("outbox_pending", self.outbox_pending)) if value]
        if self.submitted == 0:
            found.append("nothing was submitted")
        if baseline_p95 and self.p95_others_seconds and self.p95_others_seconds > baseline_p95 * (1 + tolerance):
            found.append(f"other ministries' p95 {self.p95_others_seconds:.2f}s > {baseline_p95:.2f}s + "
                         f"{tolerance:.0%}")
        return found


def moment(value: object) -> datetime | None:
    """A timestamp as the database returns it to a raw query (SQLite: ISO text; PostgreSQL: datetime), in UTC."""
    if value is None:
        return None
    parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
    if not isinstance(parsed, datetime):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def p95(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


class Observer:
    def __init__(self, portal: ChaosPortal) -> None:
        self._portal = portal
        self._engines: dict[str, AsyncEngine] = {s: engine_for(portal.database_url(s)) for s in BACKENDS}

    async def close(self) -> None:
        await asyncio.gather(*(engine.dispose() for engine in self._engines.values()))

    async def _rows(self, service: str, sql: str, **params: object) -> list[tuple[object, ...]]:
        statement = text(sql)
        for name, value in params.items():
            if isinstance(value, list | tuple):
                statement = statement.bindparams(bindparam(name, expanding=True))
        async with self._engines[service].connect() as connection:
            return [tuple(row) for row in (await connection.execute(statement, params)).all()]

    async def outbox_pending(self) -> int:
        pending = 0
        for service in OUTBOX_SERVICES:
            try:
                [(count,)] = await self._rows(service, "SELECT count(*) FROM outbox WHERE sent_at IS NULL")
            except DBAPIError:
                continue
            pending += int(count)  # type: ignore[call-overload]
        return pending

    async def settle(self, load: Load, within: float) -> None:
        """Wait until every accepted request is completed, notified, and every outbox is empty (or time runs out)."""
        deadline = time.monotonic() + within
        numbers = [s.tracking_number for s in load.submitted]
        while time.monotonic() < deadline:
            try:
                done = not numbers or await self._all_completed(numbers)
                if done and await self.outbox_pending() == 0 and not await self._unnotified(numbers):
                    return
            except (DBAPIError, OSError):
                pass
            await asyncio.sleep(1.0)

    async def _all_completed(self, numbers: list[str]) -> bool:
        rows = await self._rows("requests", "SELECT count(*) FROM requests WHERE status = 'completed' AND "
                                "tracking_number IN :numbers", numbers=numbers)
        return int(rows[0][0]) == len(set(numbers))  # type: ignore[call-overload]

    async def _applied(self, numbers: list[str]) -> list[tuple[object, ...]]:
        return await self._rows("requests", "SELECT tracking_number, status FROM request_history WHERE applied = 1 AND "
                                "tracking_number IN :numbers", numbers=numbers)

    async def _notified(self, numbers: list[str]) -> Counter[tuple[str, str]]:
        rows = await self._rows("notifications", "SELECT tracking_number, template_id FROM notifications WHERE "
                                "channel = 'inbox' AND kind = 'request_status' AND tracking_number IN :numbers",
                                numbers=numbers)
        return Counter((str(n), str(t).removeprefix("request_status.")) for n, t in rows)

    async def _unnotified(self, numbers: list[str]) -> set[tuple[str, str]]:
        applied = {(str(n), str(s)) for n, s in await self._applied(numbers)}
        return applied - set(await self._notified(numbers))

    async def outcome(self, scenario: str, load: Load, fault_ended: datetime, targeted: str | None) -> Outcome:
        found = Outcome(scenario, self._portal.database, submitted=len(load.submitted), refused=load.refused,
                        targeted=targeted)
        numbers = [s.tracking_number for s in load.submitted]
        if not numbers:
            return found
        rows = await self._rows("requests", "SELECT tracking_number, status, completed_at FROM requests WHERE "
                                "citizen IN :citizens", citizens=load.citizens)
        stored = {str(n): (str(status), moment(completed)) for n, status, completed in rows}
        found.lost = sum(1 for n in numbers if n not in stored)
        found.extra_requests = len(set(stored) - set(numbers)) + (len(numbers) - len(set(numbers)))
        found.completed = sum(1 for n in set(numbers) if stored.get(n, ("",))[0] == "completed")
        found.stuck = sum(1 for n in set(numbers) if n in stored and stored[n][0] != "completed")
        applied = Counter((str(n), str(s)) for n, s in await self._applied(numbers))
        found.applied_twice = sum(count - 1 for count in applied.values())
        notified = await self._notified(numbers)
        found.repeated_notifications = sum(count - 1 for count in notified.values() if count > 1)
        found.missing_notifications = len(set(applied) - set(notified))
        found.outbox_pending = await self.outbox_pending()
        found.repeated_history = await self._repeated_history(load)
        completion = [(done, s) for s in load.submitted if (done := stored.get(s.tracking_number, ("", None))[1])]
        found.p95_seconds = p95([(done - s.at).total_seconds() for done, s in completion])
        found.p95_others_seconds = p95([(done - s.at).total_seconds() for done, s in completion
                                        if s.ministry != targeted])
        before_end = [done for done, s in completion if s.at <= fault_ended]
        if before_end:
            found.recovery_seconds = max(0.0, (max(before_end) - fault_ended).total_seconds())
        return found

    async def _repeated_history(self, load: Load) -> int:
        """Entries a citizen sees twice in a request's history."""
        repeated = 0
        async with httpx.AsyncClient(base_url=self._portal.url, timeout=10.0) as client:
            for submitted in load.submitted:
                repeated += await self._repeats_of(client, load, submitted)
        return repeated

    @staticmethod
    async def _repeats_of(client: httpx.AsyncClient, load: Load, submitted: Submitted) -> int:
        """Repeated entries in the history the citizen sees; a history that cannot be read counts as one."""
        for _ in range(2):
            response = await answered(lambda: client.get(
                f"/api/v1/requests/{submitted.tracking_number}",
                headers={"Authorization": f"Bearer {load.token(submitted.citizen)}"}))
            if response.status_code != 401:
                break
            await load.sign_in(client, [submitted.citizen])
        if response.status_code != 200:
            return 1
        statuses = [entry["status"] for entry in response.json().get("history") or []]
        # The load's journeys never go back to a state, so any status shown twice is a repeat.
        return sum(count - 1 for count in Counter(statuses).values())
