import asyncio
from collections.abc import Callable, Mapping

import pytest
import uvicorn


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item
                                  ) -> Mapping[str, Callable[[], asyncio.AbstractEventLoop]]:
    """The gateway's HTTP client is tested on asyncio's own loop and on the one `portal serve` runs it on
    (uvicorn's choice: uvloop, installed with uvicorn[standard])."""
    served = uvicorn.Config("services.gateway.app:create_app", loop="auto").get_loop_factory()
    assert served is not None
    return {"asyncio": asyncio.new_event_loop, "served": served}
