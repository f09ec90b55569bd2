"""The OpenSearch engine, for production: versioned physical indices behind an alias.

`<alias>-<generation>` indices are created from the template in opensearch_schema.py; the alias names
the live one and `<alias>-building` the one a rebuild fills (catalogue events reach it too). One
`_aliases` call moves both, so searches never see a half-built index. Every write goes through an
alias with `require_alias`, so a write racing a rebuild can never create a stray index.
"""

import asyncio
import functools
import hashlib
import time
import uuid
from collections.abc import Callable, Coroutine, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

from opensearchpy import AsyncOpenSearch, NotFoundError, RequestError, TransportError

from services.search.domain import IndexedService, PrefixPlan, QueryPlan, SearchResults
from services.search.domain.analysis import analyse, normalise
from services.search.domain.errors import Conflict, NotFound, Unavailable
from services.search.domain.results import Facets, did_you_mean, facet_counts, hits
from services.search.engines import RebuildSummary
from services.search.engines import opensearch_schema as schema
from services.search.engines.opensearch_queries import (
    LUCENE_SCALE,
    QueryBuilder,
    TermStatistics,
    statistics,
    statistics_body,
)
from shared.logging import get_logger

log = get_logger(__name__)

P = ParamSpec("P")
T = TypeVar("T")
BUILD_CACHE_SECONDS = 5.0
# Term statistics and the spelling model are read again after this, or at once after this replica writes.
STATISTICS_SECONDS = 30.0
SCAN_SIZE = 10_000
FIRST_GENERATION = "initial"
THROUGH_ALIAS = {"require_alias": "true"}


def engine_errors(method: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, Coroutine[Any, Any, T]]:
    """A cluster that refuses, fails or does not answer in time is the search engine being unavailable."""
    @functools.wraps(method)
    async def guarded(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await method(*args, **kwargs)
        except TransportError as exc:
            log.warning("search_engine_failed", engine="opensearch", error=type(exc).__name__,
                        status=getattr(exc, "status_code", None))
            raise Unavailable("search-engine-unavailable",
                              "The search engine (OpenSearch) is not answering; try again shortly.") from exc
    return guarded


def preference(*parts: str) -> str:
    """Searches with the same preference are answered by the same shard copies, so a citizen paging through
    results sees one order; hashed so no session id or query reaches the cluster's logs."""
    return "p" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


class OpenSearchEngine:
    def __init__(self, client: AsyncOpenSearch, alias: str) -> None:
        self._client, self._alias = client, alias
        self._template = f"{alias}-template"
        self._building_alias = f"{alias}-building"
        self._building: tuple[float, bool] = (0.0, False)
        self._stats: tuple[float, TermStatistics] | None = None
        self._stats_lock = asyncio.Lock()

    @engine_errors
    async def start(self) -> None:
        await self._client.indices.put_index_template(name=self._template, body=schema.index_template(self._alias))
        if await self._alias_exists():
            # Fields a newer template adds reach the live index in place; its documents gain them on rebuild.
            await self._client.indices.put_mapping(index=self._alias, body=schema.mappings())
        else:
            await self._create_first_index()
        log.info("search_index_opened", engine="opensearch", alias=self._alias)

    async def _alias_exists(self) -> bool:
        return bool(await self._client.indices.exists_alias(index=f"{self._alias}-*", name=self._alias))

    async def _create_first_index(self) -> None:
        """Index and alias in one request under one name, so replicas starting together make one index:
        the cluster refuses every create but the first."""
        first = f"{self._alias}-{FIRST_GENERATION}"
        try:
            await self._client.indices.create(index=first, body={"aliases": {self._alias: {}}})
            log.info("search_index_created", engine="opensearch", index=first)
        except RequestError as exc:
            if exc.error != "resource_already_exists_exception":
                raise
            log.info("search_index_created_elsewhere", engine="opensearch", index=first)

    async def close(self) -> None:
        await self._client.close()

    async def ready(self) -> bool:
        try:
            return await self._alias_exists()
        except TransportError:
            return False

    def _new_index(self) -> str:
        return f"{self._alias}-{datetime.now(UTC):%Y%m%dt%H%M%S}-{uuid.uuid4().hex[:6]}"

    async def _indices(self) -> dict[str, set[str]]:
        """Every physical index of the portal's, with its aliases."""
        found = await self._client.indices.get_alias(index=f"{self._alias}-*")
        return {name: set(entry.get("aliases", {})) for name, entry in found.items()}

    async def _building_index(self) -> str | None:
        building = [name for name, aliases in (await self._indices()).items() if self._building_alias in aliases]
        self._building = (time.monotonic(), bool(building))
        return building[0] if building else None

    async def _targets(self) -> list[str]:
        checked, building = self._building
        if time.monotonic() - checked > BUILD_CACHE_SECONDS:
            building = await self._building_index() is not None
        return [self._alias, *([self._building_alias] if building else [])]

    async def _update(self, slug: str, body: dict[str, Any], **params: Any) -> list[dict[str, Any]]:
        """The update applied through each alias written; a rebuild that ended meanwhile is skipped."""
        answers = []
        for target in await self._targets():
            try:
                answers.append(await self._client.update(index=target, id=slug, body=body,
                                                         params={**params, "retry_on_conflict": 3, **THROUGH_ALIAS}))
            except NotFoundError:
                if target == self._alias:
                    raise
                self._building = (time.monotonic(), False)
        self._stats = None
        return answers

    @engine_errors
    async def version_of(self, slug: str) -> int | None:
        try:
            found = await self._client.get(index=self._alias, id=slug, params={"_source_includes": "version"})
        except NotFoundError:
            return None
        version = found.get("_source", {}).get("version")
        return int(version) if version is not None else None

    async def _apply(self, slug: str, doc: dict[str, Any]) -> bool:
        answers = await self._update(slug, schema.apply_if_newer(doc), refresh="wait_for")
        return bool(answers[0].get("result") != "noop")

    @engine_errors
    async def put(self, service: IndexedService) -> bool:
        return await self._apply(service.slug, schema.document(service))

    @engine_errors
    async def retire(self, slug: str, version: int) -> bool:
        return await self._apply(slug, schema.tombstone(slug, version))

    @engine_errors
    async def set_popularity(self, submissions: Mapping[str, int]) -> None:
        for slug, count in submissions.items():
            await self._update(slug, schema.set_popularity(slug, count))

    @engine_errors
    async def count(self) -> int:
        return await self._count(self._alias)

    async def _count(self, index: str) -> int:
        found = await self._client.count(index=index, body={"query": {"term": {"retired": False}}})
        return int(found["count"])

    # Searching.

    async def _statistics(self) -> TermStatistics:
        async with self._stats_lock:
            if self._stats is None or time.monotonic() - self._stats[0] > STATISTICS_SECONDS:
                found = await self._client.search(index=self._alias, body=statistics_body())
                self._stats = (time.monotonic(), await asyncio.to_thread(statistics, found))
            return self._stats[1]

    def search_body(self, plan: QueryPlan, stats: TermStatistics) -> dict[str, Any]:
        """The request a query becomes; public so its shape can be checked without a cluster."""
        return QueryBuilder(stats).search(plan)

    @engine_errors
    async def search(self, plan: QueryPlan) -> SearchResults:
        builder = QueryBuilder(await self._statistics())
        query = plan.query
        chosen = preference(query.session or normalise(query.text), *(str(v) for v in
                                                                       (query.ministry, query.life_event,
                                                                        query.maturity)))
        found = await self._client.search(index=self._alias, body=builder.search(plan),
                                          params={"preference": chosen})
        return self.results(plan, found, builder.corrections)

    @staticmethod
    def results(plan: QueryPlan, found: dict[str, Any], corrections: dict[str, str]) -> SearchResults:
        corrected = [t for c in corrections.values() for t in analyse(c)]
        page = [(float(h.get("_score") or 0.0) / LUCENE_SCALE, IndexedService.model_validate(h["_source"]["source"]))
                for h in found["hits"]["hits"]]
        aggregations = found.get("aggregations", {})
        facets = Facets(**{name: facet_counts({b["key"]: b["doc_count"] for b in aggregations.get(name, {})
                                               .get("buckets", [])}) for name in schema.FACET_FIELDS})
        return SearchResults(total=int(found["hits"]["total"]["value"]), hits=hits(page, plan, corrected),
                             facets=facets, suggestion=did_you_mean(plan, corrections))

    def suggest_body(self, plan: PrefixPlan, limit: int, stats: TermStatistics) -> dict[str, Any]:
        return QueryBuilder(stats).completion(plan, limit)

    @engine_errors
    async def suggest(self, plan: PrefixPlan, limit: int) -> list[IndexedService]:
        if plan.is_blank:
            return []
        body = self.suggest_body(plan, limit, await self._statistics())
        found = await self._client.search(index=self._alias, body=body,
                                          params={"preference": preference(*plan.leading, *plan.prefixes)})
        return [IndexedService.model_validate(h["_source"]["source"]) for h in found["hits"]["hits"]]

    # Rebuilding into a new physical index, then moving the aliases.

    @engine_errors
    async def begin_rebuild(self) -> str:
        for index, aliases in (await self._indices()).items():
            if self._alias not in aliases:
                log.warning("search_rebuild_abandoned", build=index)
                await self._client.indices.delete(index=index)
        name = self._new_index()
        await self._client.indices.create(index=name, body={"aliases": {self._building_alias: {}}})
        self._building = (time.monotonic(), True)
        log.info("search_rebuild_started", build=name)
        return name

    async def _build(self, build: str) -> str:
        if build != await self._building_index():
            raise NotFound("rebuild-not-found", "No rebuild with this id is in progress; start a new one.")
        return build

    async def _bulk_apply(self, docs: Sequence[dict[str, Any]]) -> int:
        if not docs:
            return 0
        actions: list[dict[str, Any]] = []
        for doc in docs:
            actions += [{"update": {"_index": self._building_alias, "_id": doc["slug"], "retry_on_conflict": 3,
                                    "require_alias": True}},
                        schema.apply_if_newer(doc)]
        answer = await self._client.bulk(body=actions)
        failed = [item["update"] for item in answer["items"] if item["update"].get("error")]
        if failed:
            raise Conflict("rebuild-refused", f"{len(failed)} of {len(docs)} documents were refused: "
                                              f"{failed[0]['error']}")
        return sum(1 for item in answer["items"] if item["update"].get("result") != "noop")

    @engine_errors
    async def add_to_rebuild(self, build: str, services: Sequence[IndexedService]) -> int:
        await self._build(build)
        return await self._bulk_apply([schema.document(s) for s in services])

    @engine_errors
    async def complete_rebuild(self, build: str, expected: int) -> RebuildSummary:
        index = await self._build(build)
        retired = await self._client.search(index=self._alias, body={
            "query": {"term": {"retired": True}}, "size": SCAN_SIZE, "_source": ["slug", "version"]})
        await self._bulk_apply([schema.tombstone(h["_source"]["slug"], h["_source"]["version"])
                                for h in retired["hits"]["hits"]])
        await self._client.indices.refresh(index=index)
        services = await self._count(index)
        if services < expected:
            raise Conflict("rebuild-incomplete", f"The new index holds {services} services, fewer than the "
                                                 f"{expected} the catalogue lists; send the rest or start again.")
        old = [name for name, aliases in (await self._indices()).items() if self._alias in aliases]
        await self._client.indices.update_aliases(body={"actions": [
            *({"remove": {"index": name, "alias": self._alias}} for name in old),
            {"remove": {"index": index, "alias": self._building_alias}},
            {"add": {"index": index, "alias": self._alias}}]})
        for name in old:
            await self._client.indices.delete(index=name)
        self._building, self._stats = (time.monotonic(), False), None
        log.info("search_rebuild_completed", build=build, services=services)
        return RebuildSummary(build, services, len(retired["hits"]["hits"]))
