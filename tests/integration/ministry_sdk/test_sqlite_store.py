"""The SDK's local store on SQLite: what a ministry decided survives its process, and is kept once."""

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ministry_sdk import MinistryClient, Outgoing, SqliteStore
from shared.bus import Envelope
from shared.bus.memory import InMemoryBus
from shared.bus.topology import from_ministry, ministry_inbox
from tests.unit.ministry_sdk.test_never_drops_work import eventually


async def test_a_status_held_back_when_the_ministry_stops_is_published_by_its_next_start(tmp_path: Path) -> None:
    bus = InMemoryBus()
    await bus.declare([ministry_inbox("rop"), from_ministry("rop")])
    first = MinistryClient("memory://unused", "rop", bus=bus, store=SqliteStore(tmp_path / "rop.sqlite3"))
    await first.start()
    event_id = await first.update_status("ROP-2026-000001-Q", "approved",
                                         publish_at=datetime.now(UTC) + timedelta(seconds=0.5))
    await first.close(drain_seconds=0)
    assert bus.queues["requests.from.rop"].messages.empty()

    second = MinistryClient("memory://unused", "rop", bus=bus, store=SqliteStore(tmp_path / "rop.sqlite3"))
    await second.start()
    await eventually(lambda: not bus.queues["requests.from.rop"].messages.empty())
    [delivered] = await bus.drain("requests.from.rop")
    assert Envelope.from_body(delivered.body).id == event_id
    assert (await second.health()).pending == 0
    await second.close()


async def test_a_request_recorded_as_handled_keeps_nothing_more_when_handled_again(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "rop.sqlite3")
    first = Outgoing("e1", "rop.request.status_updated", b"{}", time.time())
    again = Outgoing("e2", "rop.request.status_updated", b"{}", time.time())
    assert await store.commit("request-1", [first])
    assert not await store.commit("request-1", [again])
    assert await store.seen("request-1")
    assert [e.event_id for e in await store.due(time.time())] == ["e1"]
    await store.close()
