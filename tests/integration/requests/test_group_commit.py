"""Submissions arriving together are written in one transaction with one commit (on SQLite and PostgreSQL), each with
its own tracking number and events; one refused among them fails alone, its batch still made."""

import asyncio
import contextlib
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.requests.domain import Conflict
from services.requests.handlers import Deps, SubmitRequest, submit_request
from services.requests.handlers.new_requests import NewRequest, Submission
from services.requests.store import outbox, requests
from shared.bus import Envelope
from shared.contracts.requests import RequestSubmitted
from shared.db import DatabaseBusy
from shared.db.engine import writer_for
from tests.factories import create_citizen
from tests.integration.bus.helpers import eventually
from tests.integration.requests.helpers import Harness, create_service_record

TOGETHER = 12


@contextlib.contextmanager
def commits_making_requests(engine: AsyncEngine) -> Iterator[list[int]]:
    """One entry per committed transaction that made requests."""
    made: list[int] = []

    def statement(connection: Any, cursor: Any, sql: str, *_: Any) -> None:
        if "INSERT INTO REQUESTS " in sql.upper():
            connection.info["requests_made"] = connection.info.get("requests_made", 0) + 1

    def commit(connection: Any) -> None:
        if connection.info.pop("requests_made", 0):
            made.append(1)

    def rollback(connection: Any) -> None:
        connection.info.pop("requests_made", None)

    # Not on "begin": SQLite's BEGIN IMMEDIATE runs in a begin listener, so a listener added or removed then would
    # change the listeners while they are being called.
    listeners = (("before_cursor_execute", statement), ("commit", commit), ("rollback", rollback))
    # On SQLite a group commit's transaction is made on the synchronous writer beside the engine.
    engines = [engine.sync_engine] + [writer for writer in [writer_for(engine)] if writer is not None]
    for name, listener in listeners:
        for watched in engines:
            event.listen(watched, name, listener)
    try:
        yield made
    finally:
        for name, listener in listeners:
            for watched in engines:
                event.remove(watched, name, listener)


def deps_of(harness: Harness) -> Deps:
    deps = harness.app.state.deps
    assert isinstance(deps, Deps)
    return deps


async def made_in_store(harness: Harness, tracking_numbers: list[str]) -> tuple[int, int]:
    """(requests, RequestSubmitted events in the outbox) with these tracking numbers."""
    async with deps_of(harness).uow(read_only=True) as uow:
        kept = (await uow.connection.execute(select(func.count()).select_from(requests).where(
            requests.c.tracking_number.in_(tracking_numbers)))).scalar_one()
        events = (await uow.connection.execute(select(func.count()).select_from(outbox).where(
            outbox.c.type == RequestSubmitted.TYPE, outbox.c.subject.in_(tracking_numbers)))).scalar_one()
    return kept, events


async def test_submissions_arriving_together_are_made_in_one_commit_each_with_its_own_number_and_event(
        harness: Harness) -> None:
    assert (await harness.submit()).status_code == 201  # the service and calendar are kept from here on
    deps = deps_of(harness)
    citizens = [create_citizen(f"7000{n:04d}") for n in range(TOGETHER)]

    with commits_making_requests(harness.app.state.runtime.engine) as commits:
        made = await asyncio.gather(*(submit_request(SubmitRequest("renew-licence", {"licence": f"L-{n:04d}"},
                                                                   citizen), deps)
                                      for n, citizen in enumerate(citizens)))

    numbers = [m.tracking_number for m in made]
    assert len(set(numbers)) == TOGETHER
    assert len(commits) == 1
    assert await made_in_store(harness, numbers) == (TOGETHER, TOGETHER)
    for citizen, number in zip(citizens, numbers, strict=True):
        assert (await harness.status_of(number, citizen))["status"] == "submitted"


async def test_a_submission_refused_for_its_idempotency_key_fails_alone_and_its_batch_is_made(
        harness: Harness) -> None:
    assert (await harness.submit()).status_code == 201
    deps = deps_of(harness)
    aisha = create_citizen()
    service = deps.services.get("renew-licence")
    assert service is not None
    at = deps.clock()

    def draft(licence: str, key: str | None = None) -> Submission:
        return Submission(NewRequest(service, {"licence": licence}, aisha, at, at), key, licence if key else "")

    deadline = asyncio.get_running_loop().time() + deps.submission_deadline_seconds
    with commits_making_requests(harness.app.state.runtime.engine) as commits:
        outcomes = await asyncio.gather(
            deps.submissions.write(draft("L-0001"), deadline),
            deps.submissions.write(draft("L-0002", key="app-key"), deadline),
            # The same key at the same moment for other answers: refused; for the same answers: the first's request.
            deps.submissions.write(draft("L-0003", key="app-key"), deadline),
            deps.submissions.write(draft("L-0002", key="app-key"), deadline),
            deps.submissions.write(draft("L-0004"), deadline), return_exceptions=True)

    assert isinstance(outcomes[2], Conflict) and outcomes[2].code == "idempotency-key-reused"
    made = [outcomes[0], outcomes[1], outcomes[4]]
    numbers = [m.tracking_number for m in made]  # type: ignore[union-attr]
    assert len(set(numbers)) == 3
    assert outcomes[3].tracking_number == numbers[1] and outcomes[3].replayed  # type: ignore[union-attr]
    assert len(commits) == 1
    assert await made_in_store(harness, numbers) == (3, 3)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_submission_past_its_deadline_in_its_transaction_is_not_made_and_the_others_are(
        harness: Harness) -> None:
    assert (await harness.submit()).status_code == 201
    deps = deps_of(harness)
    service = deps.services.get("renew-licence")
    assert service is not None
    at, loop = deps.clock(), asyncio.get_running_loop()
    engine = harness.app.state.runtime.engine

    slowed: list[str] = []

    def slow_statement(connection: Any, cursor: Any, sql: str, *_: Any) -> None:
        # The batch's insert takes a while (a slow disk): it commits after the deadline of one of its two.
        if not slowed and sql.lstrip().upper().startswith("INSERT INTO REQUESTS "):
            slowed.append(sql)
            time.sleep(0.3)

    writing_engine = writer_for(engine) or engine.sync_engine
    event.listen(writing_engine, "before_cursor_execute", slow_statement)

    def draft(licence: str) -> Submission:
        return Submission(NewRequest(service, {"licence": licence}, create_citizen(), at, at))

    try:
        outcomes = await asyncio.gather(deps.submissions.write(draft("L-0001"), loop.time() + 0.2),
                                        deps.submissions.write(draft("L-0002"), loop.time() + 5),
                                        return_exceptions=True)
    finally:
        event.remove(writing_engine, "before_cursor_execute", slow_statement)

    assert slowed and isinstance(outcomes[0], DatabaseBusy)
    kept = outcomes[1]
    assert not isinstance(kept, BaseException)
    assert await made_in_store(harness, [kept.tracking_number]) == (1, 1)
    async with deps.uow(read_only=True) as uow:
        assert (await uow.connection.execute(select(func.count()).select_from(requests).where(
            requests.c.fields["licence"].as_string() == "L-0001"))).scalar_one() == 0


async def test_each_submission_made_together_carries_its_own_trace_onto_the_ministrys_queue(harness: Harness) -> None:
    assert (await harness.submit()).status_code == 201
    traces = [f"{n:02x}" * 16 for n in range(1, TOGETHER + 1)]

    responses = await asyncio.gather(*(harness.client.post(
        "/api/v1/requests", json={"service": "renew-licence", "fields": {"licence": "L-1234"}},
        headers=harness.as_(create_citizen(f"7100{n:04d}")) | {"traceparent": f"00-{trace}-{'cd' * 8}-01"})
        for n, trace in enumerate(traces)))

    sent = {r.json()["tracking_number"]: trace for r, trace in zip(responses, traces, strict=True)}
    carried: dict[str, str] = {}

    async def all_queued() -> bool:
        for message in await harness.bus.drain("ministry.rop.inbox"):
            envelope = Envelope.from_body(message.body)
            carried[envelope.subject or ""] = (envelope.traceparent or "").split("-")[1]
        return sent.keys() <= carried.keys()

    await eventually(all_queued)
    assert {number: carried[number] for number in sent} == sent


async def test_submissions_to_several_ministries_together_are_numbered_from_each_ministrys_year_in_one_statement(
        harness: Harness) -> None:
    services = [create_service_record()] * 3 + [create_service_record("register-clinic", "moh")] * 2 + [
        create_service_record("hire-worker", "mol")]
    for service in services[3::2]:
        await harness.publish_service(service)
    assert (await harness.submit()).status_code == 201  # the police's year has begun; the others' have not
    deps = deps_of(harness)
    at = deps.clock()
    drafts = []
    for n, service in enumerate(services):
        drafts.append(Submission(NewRequest(service, {"licence": f"L-{n:04d}"}, create_citizen(f"7100{n:04d}"), at,
                                            at)))
    taken: list[str] = []
    written: list[str] = []

    def statement(connection: Any, cursor: Any, sql: str, *_: Any) -> None:
        if "tracking_sequences" in sql:
            taken.append(sql)
        if "INSERT INTO requests " in sql:
            written.append(sql)

    engine = harness.app.state.runtime.engine
    watched = [engine.sync_engine] + [writer for writer in [writer_for(engine)] if writer is not None]
    for each in watched:
        event.listen(each, "before_cursor_execute", statement)
    deadline = asyncio.get_running_loop().time() + deps.submission_deadline_seconds
    try:
        with commits_making_requests(engine) as commits:
            made = await asyncio.gather(*(deps.submissions.write(draft, deadline) for draft in drafts))
    finally:
        for each in watched:
            event.remove(each, "before_cursor_execute", statement)

    assert len(commits) == 1 and len(taken) == 1
    if engine.dialect.name == "postgresql":  # the requests, their history and their KPI counts: one statement
        assert len(written) == 1
        assert all(f"INSERT INTO {table} " in written[0] for table in ("request_history", "kpi_days", "kpi_months"))
    by_ministry: dict[str, list[str]] = {}
    for m in made:
        ministry, _, sequence, _ = m.tracking_number.split("-")
        by_ministry.setdefault(ministry, []).append(sequence)
    assert {ministry: sorted(sequences) for ministry, sequences in by_ministry.items()} == {
        "ROP": ["000002", "000003", "000004"], "MOH": ["000001", "000002"], "MOL": ["000001"]}


async def test_two_replicas_beginning_a_ministrys_year_at_the_same_moment_take_numbers_that_do_not_overlap(
        harness: Harness) -> None:
    deps = deps_of(harness)
    began = asyncio.Event()

    async def take(count: int, first: bool) -> range:
        async with deps.uow() as uow:
            if not first:
                await began.wait()
            numbers = await uow.requests.take_numbers({("moh", 2031): count})
            if first:
                began.set()
                await asyncio.sleep(0.3)  # the other replica's statement now waits on this uncommitted year
            await uow.commit()
        return range(numbers["moh", 2031], numbers["moh", 2031] + count)

    first, second = await asyncio.gather(take(2, first=True), take(3, first=False))

    assert (list(first), list(second)) == ([1, 2], [3, 4, 5])
