"""The embedded engine: tantivy in the search service's process, persisted on disk.

tantivy does the indexing, BM25 scoring, fuzzy and prefix matching, facet aggregation and popularity
weighting. Each physical index ("generation") lives in its own directory under the schema version;
the `current` file names the live one, and a rebuild fills a new one and swaps it in.
"""

import asyncio
import os
import shutil
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import tantivy

from services.search.domain import IndexedService, NotFound, PrefixPlan, QueryPlan, SearchResults
from services.search.domain.analysis import analyse
from services.search.domain.errors import Conflict
from services.search.domain.results import FACETS, Facets, did_you_mean, facet_counts, hits
from services.search.domain.spelling import Vocabulary
from services.search.engines import RebuildSummary
from services.search.engines.embedded.documents import (
    RETIRED,
    SERVICE,
    count_of,
    document,
    schema,
    source_of,
    tombstone,
)
from services.search.engines.embedded.generation import Generation
from services.search.engines.embedded.queries import QueryBuilder
from shared.logging import get_logger
from shared.memory import release_free_memory

log = get_logger(__name__)

# Bump when the fields change: a new schema starts an empty index beside the old one (then reindex).
SCHEMA_VERSION = "v2"
POINTER = "current"
# Hits scoring the same are ordered by slug; this many either side of a page are re-sorted for it.
TIE_WINDOW = 20


class EmbeddedEngine:
    """Index writes happen off the event loop, one at a time; searches run on it against a snapshot."""

    def __init__(self, root: Path) -> None:
        self._root = root / SCHEMA_VERSION
        self._schema = schema()
        self._live: Generation | None = None
        self._building: Generation | None = None
        # Writes are serialised; searches read a committed snapshot and never wait for them.
        self._writing = asyncio.Lock()
        self._vocabulary: tuple[str, int, Vocabulary] | None = None

    @property
    def live(self) -> Generation:
        if self._live is None:
            raise RuntimeError("the search index is not open")
        return self._live

    async def start(self) -> None:
        self._live = await asyncio.to_thread(self._open_live)
        log.info("search_index_opened", engine="embedded", generation=self._live.name,
                 services=self._live.count(SERVICE))

    async def ready(self) -> bool:
        return self._live is not None

    def _open_live(self) -> Generation:
        self._root.mkdir(parents=True, exist_ok=True)
        pointer = self._root / POINTER
        name = pointer.read_text().strip() if pointer.exists() else ""
        if not name or not (self._root / name).is_dir():
            name = self._new_name()
            self._point_at(name)
        for leftover in self._root.iterdir():
            # A rebuild that never completed (its CLI stopped) leaves a directory nobody reads.
            if leftover.is_dir() and leftover.name != name:
                shutil.rmtree(leftover, ignore_errors=True)
        return Generation(self._root / name, self._schema)

    def _new_name(self) -> str:
        return f"g-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"

    def _point_at(self, name: str) -> None:
        # Written aside and renamed over: a crash leaves the old pointer or the new one, never half of one.
        pointer, aside = self._root / POINTER, self._root / f"{POINTER}.tmp"
        aside.write_text(name)
        with aside.open("rb") as written:
            os.fsync(written.fileno())
        aside.replace(pointer)

    async def close(self) -> None:
        async with self._writing:
            for generation in (self._building, self._live):
                if generation is not None:
                    await asyncio.to_thread(generation.close)
            self._building = self._live = None

    def _targets(self) -> list[Generation]:
        return [self.live, *([self._building] if self._building else [])]

    async def version_of(self, slug: str) -> int | None:
        return self.live.version_of(slug)

    async def _apply(self, slug: str, version: int, build: Callable[[], tantivy.Document]) -> bool:
        async with self._writing:
            applied = [await asyncio.to_thread(g.apply_if_newer, [(slug, version, build)]) for g in self._targets()]
        return applied[0] > 0

    async def put(self, service: IndexedService) -> bool:
        return await self._apply(service.slug, service.version, partial(document, service))

    async def retire(self, slug: str, version: int) -> bool:
        return await self._apply(slug, version, partial(tombstone, slug, version))

    async def set_popularity(self, submissions: Mapping[str, int]) -> None:
        async with self._writing:
            for generation in self._targets():
                await asyncio.to_thread(self._reweigh, generation, submissions)

    @staticmethod
    def _reweigh(generation: Generation, submissions: Mapping[str, int]) -> None:
        """One commit for all the services whose count rises: a commit is most of what a change costs (about
        10 ms of CPU, whatever it holds)."""
        changed = False
        for slug, count in submissions.items():
            stored = generation.stored(slug)
            if stored is None or stored.get_first("source") is None:
                continue
            service = source_of(stored)
            if count > service.popularity:
                generation.replace(slug, document(service.model_copy(update={"popularity": count})))
                changed = True
        if changed:
            generation.commit()

    async def count(self) -> int:
        return self.live.count(SERVICE)

    # Searching.

    async def _current_vocabulary(self) -> Vocabulary:
        """The words of the live index, rebuilt (off the event loop) after services changed."""
        generation = self.live
        if self._vocabulary is None or self._vocabulary[:2] != (generation.name, generation.revision):
            known = generation.index.searcher().terms_with_prefix("words", "")
            built = await asyncio.to_thread(Vocabulary, dict(known))
            self._vocabulary = (generation.name, generation.revision, built)
        return self._vocabulary[2]

    @staticmethod
    def _page(searcher: tantivy.Searcher, query: tantivy.Query, offset: int, size: int
              ) -> tuple[int, list[tuple[float, IndexedService]]]:
        found = searcher.search(query, offset + size + TIE_WINDOW, count=True, weight_by_field="boost")
        start = max(offset - TIE_WINDOW, 0)
        window = found.hits[start:]
        keys = [round(score, 5) for score, _ in window]
        # Ties are re-sorted by slug only within a run of equal scores, so only the runs the page touches
        # are read from the index: a run before or after the page keeps its place whatever its order.
        first, end = offset - start, offset - start + size
        while 0 < first < len(keys) and keys[first - 1] == keys[first]:
            first -= 1
        end = min(end, len(keys))
        while 0 < end < len(keys) and keys[end] == keys[end - 1]:
            end += 1
        runs = [(score, searcher.doc(address)) for score, address in window[first:end]]
        runs.sort(key=lambda pair: (-round(pair[0], 5), str(pair[1].get_first("slug"))))
        skip = offset - start - first
        page = [(score, source_of(doc)) for score, doc in runs[skip:skip + size]]
        return count_of(found), page

    @staticmethod
    def _facets(searcher: tantivy.Searcher, query: tantivy.Query) -> Facets:
        aggregated = searcher.aggregate(query, {f: {"terms": {"field": f, "size": 1000}} for f in FACETS})
        counts = {f: facet_counts({b["key"]: b["doc_count"] for b in aggregated[f]["buckets"]}) for f in FACETS}
        return Facets(**counts)

    async def search(self, plan: QueryPlan) -> SearchResults:
        vocabulary = await self._current_vocabulary()
        searcher = self.live.index.searcher()
        builder = QueryBuilder(self._schema, searcher, vocabulary)
        query = builder.filtered(builder.text(plan), plan)
        total, page = self._page(searcher, query, plan.query.offset, plan.query.page_size)
        corrected = [t for c in builder.corrections.values() for t in analyse(c)]
        return SearchResults(total=total, hits=hits(page, plan, corrected), facets=self._facets(searcher, query),
                             suggestion=did_you_mean(plan, builder.corrections))

    async def suggest(self, plan: PrefixPlan, limit: int) -> list[IndexedService]:
        if plan.is_blank:
            return []
        searcher = self.live.index.searcher()
        query = QueryBuilder(self._schema, searcher, Vocabulary({})).completion(plan)
        _, page = self._page(searcher, query, 0, limit)
        return [service for _, service in page]

    # Rebuilding from the catalogue beside the live index, then swapping.

    def _build(self, build: str) -> Generation:
        if self._building is None or self._building.name != build:
            raise NotFound("rebuild-not-found", "No rebuild with this id is in progress; start a new one.")
        return self._building

    async def begin_rebuild(self) -> str:
        async with self._writing:
            if self._building is not None:
                log.warning("search_rebuild_abandoned", build=self._building.name)
                await asyncio.to_thread(self._discard, self._building)
            name = self._new_name()
            self._building = await asyncio.to_thread(Generation, self._root / name, self._schema)
        log.info("search_rebuild_started", build=name)
        return name

    @staticmethod
    def _discard(generation: Generation) -> None:
        generation.close()
        shutil.rmtree(generation.path, ignore_errors=True)

    async def add_to_rebuild(self, build: str, services: Sequence[IndexedService]) -> int:
        async with self._writing:
            generation = self._build(build)
            docs = [(s.slug, s.version, partial(document, s)) for s in services]
            return await asyncio.to_thread(generation.apply_if_newer, docs)

    async def complete_rebuild(self, build: str, expected: int) -> RebuildSummary:
        async with self._writing:
            generation = self._build(build)
            # Retired services stay retired: their tombstones move across unless the rebuild saw newer.
            tombstones = [(slug, version, partial(tombstone, slug, version))
                          for slug, version in await asyncio.to_thread(self.live.slugs, RETIRED)]
            await asyncio.to_thread(generation.apply_if_newer, tombstones)
            services = generation.count(SERVICE)
            if services < expected:
                raise Conflict("rebuild-incomplete", f"The new index holds {services} services, fewer than the "
                                                     f"{expected} the catalogue lists; send the rest or start again.")
            await asyncio.to_thread(self._point_at, generation.name)
            old, self._live, self._building = self.live, generation, None
            await asyncio.to_thread(self._discard, old)
            # Indexing a whole catalogue leaves what its threads freed resident in their C heaps (200 MB at
            # 10,000 services): given back, the live index costs the service some 40 MB.
            await asyncio.to_thread(release_free_memory)
        log.info("search_rebuild_completed", build=build, services=services)
        return RebuildSummary(build, services, generation.count(RETIRED))
