"""A served service keeps what it made at start-up out of the garbage collector's way, so a full collection under
load does not stall every request in flight while it walks the whole heap."""

import asyncio
import gc
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest
import uvicorn
from fastapi import FastAPI

from portal.cli import ServiceServer


@pytest.fixture
def unfrozen_after() -> Iterator[None]:
    yield
    gc.unfreeze()


async def test_what_a_service_made_at_start_up_is_frozen_once_it_has_started(unfrozen_after: None) -> None:
    kept: list[dict[str, int]] = []

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        kept.extend({"entry": n} for n in range(20_000))
        yield

    server = ServiceServer(uvicorn.Config(FastAPI(lifespan=lifespan), log_level="warning"))
    frozen_before = gc.get_freeze_count()
    serving = asyncio.create_task(server.serve(sockets=[]))
    try:
        async with asyncio.timeout(10):
            while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
                await asyncio.sleep(0.01)
        assert gc.get_freeze_count() - frozen_before >= len(kept)
        assert not any(entry is kept[0] for entry in gc.get_objects(generation=2))
    finally:
        server.should_exit = True
        await serving
