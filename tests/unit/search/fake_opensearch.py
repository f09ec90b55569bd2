"""An OpenSearch stand-in at the HTTP boundary: it records every request the real client sends and
answers from a script, so the requests our engine makes can be read without a cluster."""

import json
from dataclasses import dataclass
from typing import Any

from opensearchpy import AsyncOpenSearch
from opensearchpy._async.http_aiohttp import AsyncConnection

from services.search.domain import IndexedService
from services.search.engines import opensearch_schema as schema


@dataclass(frozen=True)
class Sent:
    method: str
    path: str
    params: dict[str, Any]
    body: Any


def _decoded(body: bytes | None) -> Any:
    if not body:
        return None
    text = body.decode()
    lines = [line for line in text.splitlines() if line.strip()]
    return json.loads(text) if len(lines) == 1 else [json.loads(line) for line in lines]


class FakeCluster:
    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self._answers: list[tuple[str, str, int, Any]] = []

    def answer(self, method: str, path: str, body: Any = None, status: int = 200) -> None:
        """Answer the next `method` request to `path` (exact, or a prefix ending in *) with `body`."""
        self._answers.append((method, path, status, body if body is not None else {"acknowledged": True}))

    def requests(self, method: str, path: str = "") -> list[Sent]:
        return [s for s in self.sent if s.method == method and s.path.startswith(path)]

    def _reply(self, method: str, path: str) -> tuple[int, Any]:
        for n, (m, p, status, body) in enumerate(self._answers):
            if m == method and (path == p or (p.endswith("*") and path.startswith(p[:-1]))):
                del self._answers[n]
                return status, body
        raise AssertionError(f"nothing scripted for {method} {path}")

    def client(self) -> AsyncOpenSearch:
        cluster = self

        class Connection(AsyncConnection):
            async def perform_request(self, method: str, url: str, params: Any = None, body: bytes | None = None,
                                      timeout: Any = None, ignore: Any = (), headers: Any = None  # noqa: ASYNC109
                                      ) -> tuple[int, dict[str, str], str]:
                cluster.sent.append(Sent(method, url, dict(params or {}), _decoded(body)))
                status, answer = cluster._reply(method, url)
                raw = json.dumps(answer)
                if not 200 <= status < 300 and status not in ignore:
                    self._raise_error(status, raw, "application/json")
                return status, {"content-type": "application/json"}, raw

            async def close(self) -> None:
                return None

        return AsyncOpenSearch(hosts=["http://opensearch.test:9200"], connection_class=Connection)


def stats_answer(services: list[IndexedService]) -> dict[str, Any]:
    """What the cluster answers the adapter's term statistics request, computed from the documents."""
    docs = [schema.document(s) for s in services]

    def buckets(field: str) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for doc in docs:
            for value in set(doc.get(field, [])):
                counts[value] = counts.get(value, 0) + 1
        return {"buckets": [{"key": k, "doc_count": n} for k, n in sorted(counts.items())], "sum_other_doc_count": 0}

    fields = ("words", "terms", "keywords", "concepts", "body_concepts", "intents")
    return {"hits": {"total": {"value": len(docs)}, "hits": []}, "aggregations": {f: buckets(f) for f in fields}}


def walk(node: Any) -> list[dict[str, Any]]:
    """Every object in a request body, depth first."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found += walk(value)
    elif isinstance(node, list):
        for value in node:
            found += walk(value)
    return found
