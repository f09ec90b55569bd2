"""What the citizen's dashboard reads of the requests table costs the same at any size: "my requests" and the
learned suggestions' history walk the citizen's own index entries newest first, never the table and never a sort."""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url

from services.requests.store import requests
from tests.factories import create_citizen
from tests.integration.requests.helpers import Harness

pytestmark = pytest.mark.integration


@contextmanager
def statements_on_requests() -> Iterator[list[tuple[str, Any]]]:
    """Every SELECT from the requests table the service runs meanwhile, with its parameters."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if statement.lstrip().startswith("SELECT") and "FROM requests" in statement:
            seen.append((statement, parameters))

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


async def add_requests(harness: Harness, per_citizen: dict[str, int]) -> None:
    now = datetime.now(UTC)
    rows = [{"tracking_number": f"H-{citizen}-{n}", "service": "renew-licence", "service_version": 1,
             "ministry": "rop", "citizen": citizen, "lang": "ar", "status": "completed", "fields": {},
             "submitted_at": now - timedelta(days=n), "updated_at": now, "due_on": now, "completed_at": now}
            for citizen, count in per_citizen.items() for n in range(count)]
    async with harness.app.state.runtime.engine.begin() as connection:
        await connection.execute(requests.insert(), rows)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_my_requests_and_suggestions_read_the_citizens_index_newest_first_not_the_table(
        harness: Harness, database_url: str) -> None:
    citizen = create_citizen("70000001")
    await add_requests(harness, {citizen.subject: 60, "70000002": 40, "70000003": 40})

    with statements_on_requests() as seen:
        mine = await harness.client.get("/api/v1/requests", headers=harness.as_(citizen))
        suggested = await harness.client.get("/api/v1/me/suggestions", headers=harness.as_(citizen))

    assert mine.status_code == suggested.status_code == 200
    assert [i["tracking_number"] for i in mine.json()["items"]] == [f"H-{citizen.subject}-{n}" for n in range(50)]
    assert len(seen) == 2
    with sqlite3.connect(str(make_url(database_url).database)) as db:
        for statement, parameters in seen:
            plan = " / ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {statement}", parameters))
            assert "USING INDEX ix_requests_citizen_submitted" in plan, plan
            assert "SCAN requests" not in plan and "TEMP B-TREE" not in plan, plan
