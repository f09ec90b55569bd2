"""What citizens and operators see of the engine behind the search service: a page past the last one is a
clear 422, an engine that does not answer is a 503 naming it, and /readyz reports it without going unready
(the pod can still serve its other routes)."""

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from services.search.app import create_app
from services.search.domain import MAX_PAGE
from services.search.engines.opensearch import OpenSearchEngine
from tests.integration.search.conftest import create_settings
from tests.integration.search.helpers import create_indexed_service
from tests.unit.search.fake_opensearch import FakeCluster, stats_answer

ALIAS = "portal-services"


@pytest.fixture
async def cluster_client(sqlite_url: str, public_key: str, tmp_path: Path) -> AsyncIterator[
        tuple[FakeCluster, httpx.AsyncClient]]:
    cluster = FakeCluster()
    cluster.answer("PUT", f"/_index_template/{ALIAS}-template")
    cluster.answer("HEAD", f"/{ALIAS}-*/_alias/{ALIAS}")
    cluster.answer("PUT", f"/{ALIAS}/_mapping")
    application = create_app(create_settings(sqlite_url, public_key, tmp_path / "index"),
                             engine=OpenSearchEngine(cluster.client(), ALIAS))
    async with LifespanManager(application, startup_timeout=30, shutdown_timeout=30), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url="http://test") as client:
        yield cluster, client


async def test_a_page_past_the_last_one_is_refused_with_a_problem(client: httpx.AsyncClient) -> None:
    last = await client.get("/api/v1/search", params={"q": "passport", "page": MAX_PAGE})
    past = await client.get("/api/v1/search", params={"q": "passport", "page": MAX_PAGE + 1})

    assert (last.status_code, past.status_code) == (200, 422)
    assert past.headers["content-type"].startswith("application/problem+json")
    assert MAX_PAGE * 20 == 10_000


async def test_a_search_engine_that_fails_is_a_503_naming_it(
        cluster_client: tuple[FakeCluster, httpx.AsyncClient]) -> None:
    cluster, client = cluster_client
    for _ in range(4):  # the client's first try and its three retries
        cluster.answer("POST", f"/{ALIAS}/_search", {"error": {"type": "cluster_block_exception"}}, status=503)

    answer = await client.get("/api/v1/search", params={"q": "جواز"})

    assert answer.status_code == 503
    assert answer.json()["code"] == "search-engine-unavailable"
    assert "OpenSearch" in answer.json()["detail"]


async def test_readiness_reports_the_search_engine_as_detail_and_stays_ready(
        cluster_client: tuple[FakeCluster, httpx.AsyncClient]) -> None:
    cluster, client = cluster_client
    cluster.answer("HEAD", f"/{ALIAS}-*/_alias/{ALIAS}", status=404)

    answer = await client.get("/readyz")

    assert answer.status_code == 200
    assert answer.json()["checks"]["search_engine"] == "unavailable"
    assert "search_engine" not in answer.json()["required"]


async def test_a_clients_session_header_keeps_its_pages_on_the_same_shard_copies(
        cluster_client: tuple[FakeCluster, httpx.AsyncClient]) -> None:
    cluster, client = cluster_client
    cluster.answer("POST", f"/{ALIAS}/_search", stats_answer([create_indexed_service()]))
    for session, page in (("a1b2", 1), ("a1b2", 2), ("c3d4", 1)):
        cluster.answer("POST", f"/{ALIAS}/_search", {"hits": {"total": {"value": 0}, "hits": []}})
        answer = await client.get("/api/v1/search", params={"q": "جواز", "page": page},
                                  headers={"X-Portal-Session": session})
        assert answer.status_code == 200

    first, second, other = [s.params["preference"] for s in cluster.requests("POST", f"/{ALIAS}/_search")[1:]]
    assert first == second != other
