"""The OpenSearch engine, for production: versioned physical indices behind an alias.

`<alias>-<generation>` indices are created from the template in opensearch_schema.py; the alias names
the live one. A rebuild fills a new index (catalogue events reach it too), then one `_aliases` call
moves the alias, so searches never see a half-built index. Which index is being built is read from the
cluster, not kept in memory, so any replica can take the next batch of a rebuild.
"""

import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from opensearchpy import AsyncOpenSearch, NotFoundError

from services.search.domain import IndexedService, PrefixPlan, QueryPlan, SearchResults
from services.search.domain.analysis import analyse
from services.search.domain.errors import Conflict, NotFound
from services.search.domain.queries import Clause, edits_allowed
from services.search.domain.results import Facets, did_you_mean, facet_counts, hits
from services.search.domain.understanding import CONCEPT_WEIGHTS, INTENT_WEIGHT
from services.search.engines import RebuildSummary
from services.search.engines import opensearch_schema as schema
from shared.logging import get_logger

log = get_logger(__name__)

TIE_BREAKER = 0.3
BUILD_CACHE_SECONDS = 5.0
SCAN_SIZE = 10_000


class OpenSearchEngine:
    def __init__(self, client: AsyncOpenSearch, alias: str) -> None:
        self._client, self._alias = client, alias
        self._template = f"{alias}-template"
        self._building: tuple[float, str | None] = (0.0, None)

    async def start(self) -> None:
        await self._client.indices.put_index_template(name=self._template, body=schema.index_template(self._alias))
        if not await self._client.indices.exists_alias(name=self._alias):
            first = self._new_index()
            await self._client.indices.create(index=first, body={"aliases": {self._alias: {}}})
            log.info("search_index_created", engine="opensearch", index=first)
        else:
            # The mapping is strict: without the tag fields, a live index made from an older template
            # would refuse every service written before the next rebuild.
            await self._client.indices.put_mapping(index=self._alias, body={"properties": schema.TAG_MAPPINGS})
        log.info("search_index_opened", engine="opensearch", alias=self._alias)

    async def close(self) -> None:
        await self._client.close()

    def _new_index(self) -> str:
        return f"{self._alias}-{datetime.now(UTC):%Y%m%dt%H%M%S}-{uuid.uuid4().hex[:6]}"

    async def _indices(self) -> dict[str, bool]:
        """Every physical index of this alias, and whether it is the live one."""
        found = await self._client.indices.get_alias(index=f"{self._alias}-*")
        return {name: self._alias in entry.get("aliases", {}) for name, entry in found.items()}

    async def _building_index(self, fresh: bool = False) -> str | None:
        checked, name = self._building
        if fresh or time.monotonic() - checked > BUILD_CACHE_SECONDS:
            candidates = sorted(index for index, live in (await self._indices()).items() if not live)
            name = candidates[-1] if candidates else None
            self._building = (time.monotonic(), name)
        return name

    async def _targets(self) -> list[str]:
        building = await self._building_index()
        return [self._alias, *([building] if building else [])]

    async def version_of(self, slug: str) -> int | None:
        try:
            found = await self._client.get(index=self._alias, id=slug, params={"_source_includes": "version"})
        except NotFoundError:
            return None
        version = found.get("_source", {}).get("version")
        return int(version) if version is not None else None

    async def _apply(self, slug: str, doc: dict[str, Any]) -> bool:
        results = [await self._client.update(index=index, id=slug, body=schema.apply_if_newer(doc),
                                             params={"refresh": "wait_for", "retry_on_conflict": 3})
                   for index in await self._targets()]
        return bool(results[0].get("result") != "noop")

    async def put(self, service: IndexedService) -> bool:
        return await self._apply(service.slug, schema.document(service))

    async def retire(self, slug: str, version: int) -> bool:
        return await self._apply(slug, schema.tombstone(slug, version))

    async def set_popularity(self, slug: str, submissions: int) -> None:
        for index in await self._targets():
            await self._client.update(index=index, id=slug, body=schema.set_popularity(slug, submissions),
                                      params={"retry_on_conflict": 3})

    async def count(self) -> int:
        return await self._count(self._alias)

    async def _count(self, index: str) -> int:
        found = await self._client.count(index=index, body={"query": {"term": {"retired": False}}})
        return int(found["count"])

    # Searching.

    def _alternatives(self, clause: Clause, plan: QueryPlan) -> dict[str, Any]:
        matches = []
        for alternative in clause.alternatives:
            match: dict[str, Any] = {"query": alternative.text, "fields": schema.text_fields(),
                                     "type": "best_fields", "tie_breaker": TIE_BREAKER, "operator": "and"}
            understood = any(plan.understood(t) for t in alternative.terms)
            if not clause.has_synonyms and edits_allowed(alternative.text) and not understood:
                match |= {"fuzziness": "AUTO", "prefix_length": 0, "max_expansions": 20}
            matches.append({"multi_match": match})
        return matches[0] if len(matches) == 1 else {"dis_max": {"queries": matches}}

    @staticmethod
    def _understood(plan: QueryPlan) -> list[dict[str, Any]]:
        """The concepts the query means, wherever a service holds them, and the intents of its title; a
        keyword term scores by its rarity times the boost, as the embedded engine's tags do."""
        concepts = [{"dis_max": {"queries": [{"term": {field: {"value": c, "boost": weight}}}
                                             for field, weight in CONCEPT_WEIGHTS.items()]}} for c in plan.concepts]
        return concepts + [{"term": {"intents": {"value": i, "boost": INTENT_WEIGHT}}} for i in plan.intents]

    def search_body(self, plan: QueryPlan) -> dict[str, Any]:
        """The request a query becomes; public so its shape can be checked without a cluster."""
        query = plan.query
        filters: list[dict[str, Any]] = [{"term": {"retired": False}}]
        filters += [{"term": {field: value}} for name, field in schema.FACET_FIELDS.items()
                    if (value := getattr(query, name))]
        matching: dict[str, Any] = {"bool": {"filter": filters}}
        if not plan.is_blank:
            should = [self._alternatives(c, plan) for c in plan.clauses] + self._understood(plan)
            matching["bool"] |= {"should": should, "minimum_should_match": 1}
        body: dict[str, Any] = {
            "query": schema.popularity_scored(matching), "from": query.offset, "size": query.page_size,
            "track_total_hits": True, "track_scores": True, "sort": ["_score", {"slug": "asc"}],
            "_source": ["source"],
            "aggs": {name: {"terms": {"field": field, "size": 1000}} for name, field in schema.FACET_FIELDS.items()},
        }
        if plan.clauses:
            text = " ".join(word.normalised for word in plan.words if not (word.term and plan.understood(word.term)))
            body["suggest"] = {"spelling": {"text": text, "term": {
                "field": "spelling", "suggest_mode": "missing", "max_edits": 2, "min_word_length": 3, "size": 1}}}
        return body

    async def search(self, plan: QueryPlan) -> SearchResults:
        found = await self._client.search(index=self._alias, body=self.search_body(plan))
        return self.results(plan, found)

    @staticmethod
    def results(plan: QueryPlan, found: dict[str, Any]) -> SearchResults:
        corrections = {entry["text"]: entry["options"][0]["text"]
                       for entry in found.get("suggest", {}).get("spelling", []) if entry.get("options")}
        corrected = [t for c in corrections.values() for t in analyse(c)]
        page = [(float(h.get("_score") or 0.0), IndexedService.model_validate(h["_source"]["source"]))
                for h in found["hits"]["hits"]]
        aggregations = found.get("aggregations", {})
        facets = Facets(**{name: facet_counts({b["key"]: b["doc_count"] for b in aggregations.get(name, {})
                                               .get("buckets", [])}) for name in schema.FACET_FIELDS})
        return SearchResults(total=int(found["hits"]["total"]["value"]), hits=hits(page, plan, corrected),
                             facets=facets, suggestion=did_you_mean(plan, corrections))

    def suggest_body(self, plan: PrefixPlan, limit: int) -> dict[str, Any]:
        completing = {"bool": {"should": [
            {"multi_match": {"query": prefix, "fields": [f"{f}^{w}" for f, w in schema.PREFIX_FIELDS.items()]}}
            for prefix in plan.prefixes], "minimum_should_match": 1}}
        fields = ["title_ar^2", "title_en^2", "keywords_ar", "keywords_en"]
        leading = [{"multi_match": {"query": plan.leading_text, "fields": fields, "operator": "and"}}] \
            if plan.leading else []
        matching = {"bool": {"must": [completing, *leading], "filter": [{"term": {"retired": False}}]}}
        return {"query": schema.popularity_scored(matching), "size": limit, "track_scores": True,
                "sort": ["_score", {"slug": "asc"}], "_source": ["source"]}

    async def suggest(self, plan: PrefixPlan, limit: int) -> list[IndexedService]:
        if plan.is_blank:
            return []
        found = await self._client.search(index=self._alias, body=self.suggest_body(plan, limit))
        return [IndexedService.model_validate(h["_source"]["source"]) for h in found["hits"]["hits"]]

    # Rebuilding into a new physical index, then moving the alias.

    async def begin_rebuild(self) -> str:
        for index, live in (await self._indices()).items():
            if not live:
                log.warning("search_rebuild_abandoned", build=index)
                await self._client.indices.delete(index=index)
        name = self._new_index()
        await self._client.indices.create(index=name)
        self._building = (time.monotonic(), name)
        log.info("search_rebuild_started", build=name)
        return name

    async def _build(self, build: str) -> str:
        if build != await self._building_index(fresh=True):
            raise NotFound("rebuild-not-found", "No rebuild with this id is in progress; start a new one.")
        return build

    async def _bulk_apply(self, index: str, docs: Sequence[dict[str, Any]]) -> int:
        if not docs:
            return 0
        actions: list[dict[str, Any]] = []
        for doc in docs:
            actions += [{"update": {"_index": index, "_id": doc["slug"], "retry_on_conflict": 3}},
                        schema.apply_if_newer(doc)]
        answer = await self._client.bulk(body=actions)
        failed = [item["update"] for item in answer["items"] if item["update"].get("error")]
        if failed:
            raise RuntimeError(f"{len(failed)} of {len(docs)} documents were refused: {failed[0]['error']}")
        return sum(1 for item in answer["items"] if item["update"].get("result") != "noop")

    async def add_to_rebuild(self, build: str, services: Sequence[IndexedService]) -> int:
        return await self._bulk_apply(await self._build(build), [schema.document(s) for s in services])

    async def complete_rebuild(self, build: str, expected: int) -> RebuildSummary:
        index = await self._build(build)
        retired = await self._client.search(index=self._alias, body={
            "query": {"term": {"retired": True}}, "size": SCAN_SIZE, "_source": ["slug", "version"]})
        await self._bulk_apply(index, [schema.tombstone(h["_source"]["slug"], h["_source"]["version"])
                                       for h in retired["hits"]["hits"]])
        await self._client.indices.refresh(index=index)
        services = await self._count(index)
        if services < expected:
            raise Conflict("rebuild-incomplete", f"The new index holds {services} services, fewer than the "
                                                 f"{expected} the catalogue lists; send the rest or start again.")
        old = [name for name, live in (await self._indices()).items() if live]
        await self._client.indices.update_aliases(body={"actions": [
            *({"remove": {"index": name, "alias": self._alias}} for name in old),
            {"add": {"index": index, "alias": self._alias}}]})
        for name in old:
            await self._client.indices.delete(index=name)
        self._building = (time.monotonic(), None)
        log.info("search_rebuild_completed", build=build, services=services)
        return RebuildSummary(build, services, len(retired["hits"]["hits"]))
