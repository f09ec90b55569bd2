"""A service's app run in the bench's own process, as `portal serve` runs it in its own."""

import contextlib
import gc
from collections.abc import AsyncIterator

from asgi_lifespan import LifespanManager
from starlette.types import ASGIApp


@contextlib.asynccontextmanager
async def served(app: ASGIApp, startup_timeout: float = 60, shutdown_timeout: float = 60) -> AsyncIterator[None]:
    """The app started, then what this process holds frozen out of the garbage collector's sight until it stops, as
    `portal serve` (portal/cli.py's ServiceServer) does once a service has started. Here that also covers what the
    bench's earlier steps left behind in its heap: a full collection walking all of it stalled a measured read for
    100 ms and more, a pause the service, alone in its process, does not have."""
    async with LifespanManager(app, startup_timeout=startup_timeout, shutdown_timeout=shutdown_timeout):
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()
