"""A ministry's events waiting together are applied in one transaction, each by its own handler."""

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.requests.handlers import Deps, in_one_transaction, lifecycle, register_ministry
from services.requests.store import history, inbox, outbox
from shared.bus import BatchHandler, Delivery, Envelope
from shared.bus.dispatch import EventRouter
from shared.bus.ports import apply_batch_in_place
from shared.bus.topology import from_ministry, ministry_broker_user
from shared.contracts.ministries import RequestStatusUpdated
from shared.contracts.requests import RequestStatusChanged
from tests.integration.requests.helpers import Harness

pytestmark = pytest.mark.integration


class Crash(Exception):
    """The process dying mid-batch, as far as the database can tell: the transaction never commits."""


def status_update(harness: Harness, tracking_number: str, status: str, *, user_id: str = "default") -> Delivery:
    event = RequestStatusUpdated(tracking_number=tracking_number, status=status,
                                 occurred_at=datetime.now(UTC))
    envelope = Envelope(type=RequestStatusUpdated.TYPE, source="/ministries/rop", subject=tracking_number,
                        data=event.model_dump(mode="json"), id=str(uuid.uuid4()))
    sender = ministry_broker_user("rop", harness.bus.vhost) if user_id == "default" else user_id
    return Delivery(envelope, "rop.request.status_updated", from_ministry("rop").name, user_id=sender)


def batch_handler(harness: Harness) -> BatchHandler:
    router = EventRouter(harness.app.state.deps)
    register_ministry(router)
    return router.in_batches(in_one_transaction)


@contextmanager
def commits_of_this_task(engine: AsyncEngine) -> Iterator[list[object]]:
    """The transactions this task commits (the outbox relay and other background work commit beside it)."""
    mine = asyncio.current_task()
    committed: list[object] = []

    def on_commit(connection: object) -> None:
        if asyncio.current_task() is mine:
            committed.append(connection)

    event.listen(engine.sync_engine, "commit", on_commit)
    try:
        yield committed
    finally:
        event.remove(engine.sync_engine, "commit", on_commit)


async def submitted(harness: Harness, count: int) -> list[str]:
    return [(await harness.submit()).json()["tracking_number"] for _ in range(count)]


async def applied_history(harness: Harness, numbers: list[str]) -> list[tuple[str, str]]:
    async with harness.app.state.deps.uow(read_only=True) as uow:
        rows = await uow.connection.execute(
            select(history.c.tracking_number, history.c.status)
            .where(history.c.tracking_number.in_(numbers), history.c.applied == 1,
                   history.c.status != "submitted"))
        return sorted((str(n), str(s)) for n, s in rows)


async def inbox_rows(harness: Harness, deliveries: list[Delivery]) -> int:
    async with harness.app.state.deps.uow(read_only=True) as uow:
        return int(await uow.connection.scalar(select(func.count()).select_from(inbox).where(
            inbox.c.event_id.in_([d.envelope.id for d in deliveries]))) or 0)


async def status_events_published(harness: Harness, numbers: list[str]) -> int:
    async with harness.app.state.deps.uow(read_only=True) as uow:
        return int(await uow.connection.scalar(select(func.count()).select_from(outbox).where(
            outbox.c.subject.in_(numbers), outbox.c.routing_key == "requests.request.status_changed",
            outbox.c.type == RequestStatusChanged.TYPE)) or 0)


async def test_a_batch_of_status_updates_is_applied_in_one_commit_with_an_inbox_row_each(harness: Harness) -> None:
    numbers = await submitted(harness, 4)
    deliveries = [status_update(harness, n, status) for n in numbers for status in ("received", "in_review")]
    before = await status_events_published(harness, numbers)

    with commits_of_this_task(harness.app.state.runtime.engine) as committed:
        await batch_handler(harness)(deliveries)

    assert len(committed) == 1
    assert await applied_history(harness, numbers) == sorted(
        (n, status) for n in numbers for status in ("received", "in_review"))
    assert await inbox_rows(harness, deliveries) == len(deliveries)
    assert await status_events_published(harness, numbers) - before == len(deliveries)
    for n in numbers:
        assert (await harness.status_of(n))["status"] == "in_review"


async def test_a_poison_update_in_a_batch_is_dead_lettered_alone_and_the_others_are_applied(
        harness: Harness) -> None:
    first, second = await submitted(harness, 2)
    deliveries = [status_update(harness, first, "received"),
                  status_update(harness, second, "received", user_id="ministry-moh"),
                  status_update(harness, "ROP-2026-999999-0", "received"),
                  status_update(harness, second, "in_review"),  # illegal: second was never received
                  status_update(harness, first, "in_review")]

    reasons = await apply_batch_in_place(batch_handler(harness), deliveries, attempts=1)

    assert reasons[0] is None and reasons[4] is None
    assert "not by the broker user of ministry 'rop'" in str(reasons[1])
    assert str(reasons[2]).startswith("tracking-number")
    assert str(reasons[3]).startswith("illegal-transition")
    assert await applied_history(harness, [first, second]) == [(first, "in_review"), (first, "received")]
    assert await inbox_rows(harness, [deliveries[0], deliveries[4]]) == 2


async def test_a_batch_redelivered_after_a_crash_mid_batch_or_after_its_commit_applies_each_update_once(
        harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    numbers = await submitted(harness, 3)
    deliveries = [status_update(harness, n, status) for n in numbers for status in ("received", "in_review")]
    before = await status_events_published(harness, numbers)
    report_status, reported = lifecycle.report_status, []

    async def dies_at_the_fourth(command: lifecycle.ReportStatus, deps: Deps) -> lifecycle.StatusReported:
        done = await report_status(command, deps)
        reported.append(command)
        if len(reported) == 4:
            raise Crash
        return done

    monkeypatch.setattr(lifecycle, "report_status", dies_at_the_fourth)
    with pytest.raises(Crash):
        await batch_handler(harness)(deliveries)
    assert await applied_history(harness, numbers) == []
    assert await inbox_rows(harness, deliveries) == 0
    monkeypatch.setattr(lifecycle, "report_status", report_status)

    # Redelivered after the crash, then again (the ack lost after the commit).
    await batch_handler(harness)(deliveries)
    await batch_handler(harness)(deliveries)

    assert await applied_history(harness, numbers) == sorted(
        (n, status) for n in numbers for status in ("received", "in_review"))
    assert await status_events_published(harness, numbers) - before == len(deliveries)
    for n in numbers:
        assert [h["status"] for h in (await harness.status_of(n))["history"]] == ["submitted", "received",
                                                                                   "in_review"]
