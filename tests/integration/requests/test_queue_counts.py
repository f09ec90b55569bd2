"""The workspace queue's counts cost the same whatever the ministry's history: each tab's count is exact up to the
limit and stops there (the page shows "1,000+"), read from an index holding all its conditions, in one statement."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from services.requests.store import requests
from tests.integration.requests.factories import create_officer
from tests.integration.requests.helpers import Harness

pytestmark = pytest.mark.integration
LIMIT = 1_000


def request_row(n: int, status: str, due_on: datetime, **columns: Any) -> dict[str, Any]:
    at = due_on - timedelta(days=10)
    return {"tracking_number": f"ROP-2026-{n:06d}-X", "service": "renew-licence", "service_version": 1,
            "ministry": "rop", "citizen": str(70_000_000 + n), "lang": "ar", "status": status, "fields": {},
            "submitted_at": at, "updated_at": at, "due_on": due_on, "assignee": None, "assignee_name": None,
            "stalled_at": None} | columns


async def create_busy_ministry(harness: Harness) -> None:
    """Five more submitted requests than the limit (not yet due, nobody's), three overdue ones in review with
    officer-7 (two of them stalled), and two completed ones of another service."""
    now = datetime.now(UTC)
    rows = [request_row(n, "submitted", now + timedelta(days=5, minutes=n)) for n in range(LIMIT + 5)]
    rows += [request_row(2000 + n, "in_review", now - timedelta(days=1, minutes=n), assignee="officer-7",
                         assignee_name="Salim Al-Harthi", stalled_at=now if n < 2 else None) for n in range(3)]
    rows += [request_row(3000 + n, "completed", now - timedelta(days=3), service="issue-permit") for n in range(2)]
    async with harness.app.state.runtime.engine.begin() as connection:
        await connection.execute(requests.insert(), rows)


async def queue(harness: Harness, **params: str) -> dict[str, Any]:
    response = await harness.client.get("/api/v1/ministry/requests", params=params,
                                        headers=harness.as_(create_officer()))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_tab_past_the_limit_reads_the_limit_and_the_others_their_exact_count(harness: Harness) -> None:
    await create_busy_ministry(harness)

    everything = await queue(harness)

    assert everything["count_limit"] == LIMIT
    assert everything["counts"] == {
        "submitted": LIMIT, "received": 0, "in_review": 3, "action_required": 0, "approved": 0, "rejected": 0,
        "completed": 2, "cancelled": 0, "overdue": 3, "assigned_to_me": 3, "unassigned": LIMIT, "stalled": 2}
    assert everything["total"] == LIMIT
    assert (await queue(harness, status="in_review"))["total"] == 3
    assert (await queue(harness, status="in_review", assigned="me", overdue="true"))["total"] == 3
    assert (await queue(harness, status="submitted", assigned="none"))["total"] == LIMIT
    assert (await queue(harness, service="issue-permit"))["counts"]["completed"] == 2
    stalled = await queue(harness, stalled="true", service="renew-licence")
    assert stalled["total"] == 2 and len(stalled["items"]) == 2
    beyond = await queue(harness, status="submitted", page=str(LIMIT // 50 + 1))
    assert len(beyond["items"]) == 5, "the list goes on past the counted requests"


@contextmanager
def counting_statements(engine: AsyncEngine) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def kept(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if "count(" in statement and "FROM requests" in statement:
            seen.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", kept)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", kept)


def searched_columns(plan_line: str) -> set[str]:
    constraint = re.search(r"\((.*)\)$", plan_line)
    return set(re.findall(r"(\w+)\s*[=<>]", constraint.group(1))) if constraint else set()


@pytest.mark.parametrize("filters", [{}, {"service": "renew-licence"}, {"status": "in_review", "overdue": "true"},
                                     {"service": "renew-licence", "assigned": "officer-8"}])
async def test_every_count_searches_an_index_holding_its_own_condition_never_the_whole_history(
        harness: Harness, filters: dict[str, str]) -> None:
    await create_busy_ministry(harness)
    engine: AsyncEngine = harness.app.state.runtime.engine

    with counting_statements(engine) as statements:
        await queue(harness, **filters)

    assert len(statements) == 1, "every count in one round trip"
    statement, parameters = statements[0]
    if engine.dialect.name != "sqlite":
        return  # PostgreSQL plans by statistics: a test's few rows say nothing of a store's (checked by hand).
    async with engine.connect() as connection:
        plan = [row[3] for row in await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]
    searches = [line for line in plan if "requests" in line]
    assert len(searches) >= 12
    for line in searches:
        assert line.startswith("SEARCH requests USING COVERING INDEX"), plan
        assert searched_columns(line) - {"ministry", "service"}, f"{line}: reads every request of the ministry"
        assert "service" not in filters or "service" in searched_columns(line), line
