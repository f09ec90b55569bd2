"""Each search engine, opened for a test: embedded on a temporary directory; OpenSearch when one is given."""

import os
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from opensearchpy import AsyncOpenSearch

from services.search.engines import SearchEngine
from services.search.engines.embedded import EmbeddedEngine
from services.search.engines.opensearch import OpenSearchEngine

# No OpenSearch can be installed where this was written; point this at one to run the contract on it.
OPENSEARCH_URL = os.environ.get("TEST_OPENSEARCH_URL")
ENGINES = ["embedded", "opensearch"]
EngineFactory = Callable[[], SearchEngine]


def engine_factory(kind: str, tmp_path: Path) -> EngineFactory:
    if kind == "embedded":
        return lambda: EmbeddedEngine(tmp_path / "index")
    if not OPENSEARCH_URL:
        pytest.skip("set TEST_OPENSEARCH_URL to run the engine contract on OpenSearch")
    alias = f"test-services-{uuid.uuid4().hex[:8]}"
    return lambda: OpenSearchEngine(AsyncOpenSearch(hosts=[OPENSEARCH_URL]), alias)


@asynccontextmanager
async def opened(factory: EngineFactory) -> AsyncIterator[SearchEngine]:
    engine = factory()
    await engine.start()
    try:
        yield engine
    finally:
        await engine.close()
