"""OpenSearch finds what the embedded engine finds: the tiered relevance sets (tests/data/search_relevance.json
and search_intent_relevance.json) run through both engines over the seeded catalogue, top 3 compared query
by query (and the "did you mean", the number found and the scores).

Offline (always), OpenSearch is tests/integration/search/lucene.py: the adapter's own request bodies
evaluated over the adapter's own documents with Lucene's documented semantics (whitespace analyser, BM25
with one-byte norms, fuzzy, prefix, bool, dis_max, constant_score, function_score). What that proves: both
engines hold the same terms for every catalogue word and are asked for the same terms for every query,
and the queries compose them into the same ranking; it cannot prove a real cluster computes what Lucene
documents. With TEST_OPENSEARCH_URL set, the same comparison runs against that cluster, written through
the adapter (template, rebuild, alias swap) and searched through it: that proves the real thing.
"""

import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from opensearchpy import AsyncOpenSearch

from services.search.domain import (
    SUGGESTIONS,
    IndexedService,
    SearchQuery,
    SynonymIndex,
    build_document,
    plan_prefix,
    plan_query,
)
from services.search.domain.analysis import analyse
from services.search.domain.documents import indexed_terms
from services.search.domain.matching import FIELD_WEIGHTS
from services.search.engines import SearchEngine
from services.search.engines import opensearch_schema as schema
from services.search.engines.embedded import EmbeddedEngine
from services.search.engines.opensearch import OpenSearchEngine
from services.search.engines.opensearch_queries import QueryBuilder, statistics, statistics_body
from services.search.lexicon import load_lexicon
from tests.integration.search.lucene import LuceneIndex, stored_length, whitespace_tokens
from tests.integration.search.seeded import create_seeded_records, relevance_queries, tiered_queries

# One pair of indices of the seeded catalogue for every test: built once, so the tests share its event loop.
shared_loop = pytest.mark.asyncio(loop_scope="module")
OPENSEARCH_URL = os.environ.get("TEST_OPENSEARCH_URL")
ALIAS = f"parity-{uuid.uuid4().hex[:8]}"
LEXICON = load_lexicon()


def seeded_services() -> list[IndexedService]:
    """The seeded catalogue, each service with its own number of submissions, so popularity weighs in."""
    return [build_document(r, popularity=(n * 37) % 101, lexicon=LEXICON)
            for n, r in enumerate(create_seeded_records())]


def relevance_set() -> list[dict[str, Any]]:
    return [*relevance_queries(), *tiered_queries()]


async def rebuilt(engine: SearchEngine, services: list[IndexedService]) -> SearchEngine:
    await engine.start()
    build = await engine.begin_rebuild()
    await engine.add_to_rebuild(build, services)
    await engine.complete_rebuild(build, len(services))
    return engine


async def real_cluster(services: list[IndexedService]) -> SearchEngine:
    return await rebuilt(OpenSearchEngine(AsyncOpenSearch(hosts=[OPENSEARCH_URL]), ALIAS), services)


async def remove_from_cluster() -> None:
    client = AsyncOpenSearch(hosts=[OPENSEARCH_URL])
    await client.indices.delete(index=f"{ALIAS}-*")
    await client.indices.delete_index_template(name=f"{ALIAS}-template")
    await client.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def engines(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[dict[str, SearchEngine]]:
    services = seeded_services()
    embedded = await rebuilt(EmbeddedEngine(tmp_path_factory.mktemp("parity")), services)
    if OPENSEARCH_URL:
        opensearch = await real_cluster(services)
    else:
        opensearch = OpenSearchEngine(LuceneIndex([schema.document(s) for s in services]).client(ALIAS), ALIAS)
    yield {"embedded": embedded, "opensearch": opensearch}
    for engine in (embedded, opensearch):
        await engine.close()
    if OPENSEARCH_URL:
        await remove_from_cluster()


class Scores(tuple[float, ...]):
    """Scores compared as equal to a thousandth: tantivy scores in 32-bit floats."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, tuple) and len(self) == len(other) and all(
            abs(a - b) <= 1e-3 * max(abs(a), 1.0) for a, b in zip(self, other, strict=True))

    def __hash__(self) -> int:
        return hash(len(self))


async def answer(engine: SearchEngine, text: str, lang: str) -> tuple[list[str], str | None, int, Scores]:
    """The top 3, the "did you mean", how many services were found, and the top 3's scores."""
    found = await engine.search(plan_query(SearchQuery(text, lang=lang), SynonymIndex(), LEXICON))
    return ([hit.service.slug for hit in found.hits[:3]], found.suggestion, found.total,
            Scores(hit.score for hit in found.hits[:3]))




@shared_loop
async def test_both_engines_rank_the_same_three_services_first_for_every_query_of_the_relevance_sets(
        engines: dict[str, SearchEngine]) -> None:
    differing = []
    for item in relevance_set():
        embedded, opensearch = [await answer(engines[name], item["q"], item["lang"])
                                for name in ("embedded", "opensearch")]
        if embedded != opensearch:
            differing.append((item["q"], embedded, opensearch))

    assert differing == []


@shared_loop
@pytest.mark.parametrize("text", ["رخصتي", "تحديد", "passp", "certif", "وفاة", "الوفاة", "ولادة", "driving",
                                  "booking", "housing"])
async def test_the_words_issue_26_found_answered_differently_are_answered_alike(
        engines: dict[str, SearchEngine], text: str) -> None:
    assert await answer(engines["embedded"], text, "ar") == await answer(engines["opensearch"], text, "ar")


@shared_loop
async def test_both_engines_complete_every_beginning_of_the_relevance_queries_alike(
        engines: dict[str, SearchEngine]) -> None:
    beginnings = sorted({item["q"][:end] for item in relevance_set() for end in range(2, len(item["q"]) + 1, 3)})
    differing = []
    for text in beginnings:
        embedded, opensearch = [[s.slug for s in await engines[name].suggest(plan_prefix(text), SUGGESTIONS)]
                                for name in ("embedded", "opensearch")]
        if embedded != opensearch:
            differing.append((text, embedded, opensearch))

    assert differing == []


@shared_loop
async def test_a_blank_query_lists_each_ministrys_and_life_events_services_in_the_same_popularity_order(
        engines: dict[str, SearchEngine]) -> None:
    services = seeded_services()
    filters = [{"ministry": m} for m in sorted({s.ministry for s in services})]
    filters += [{"life_event": e} for e in sorted({e for s in services for e in s.life_events})]
    for chosen in filters:
        plan = plan_query(SearchQuery("", **chosen), SynonymIndex(), LEXICON)
        embedded, opensearch = [[h.service.slug for h in (await engines[name].search(plan)).hits]
                                for name in ("embedded", "opensearch")]
        assert embedded == opensearch, chosen
        popularity = {s.slug: s.popularity for s in services}
        assert [popularity[slug] for slug in embedded] == sorted((popularity[slug] for slug in embedded),
                                                                 reverse=True), chosen


@shared_loop
async def test_both_engines_offer_the_same_did_you_mean_in_words_services_write(
        engines: dict[str, SearchEngine]) -> None:
    for text, meant in (("pasport", "passport"), ("vehical registration", "vehicle registration")):
        answers = [await answer(engines[name], text, "en") for name in ("embedded", "opensearch")]
        assert answers[0] == answers[1], text
        assert answers[0][1] == meant


def test_opensearch_holds_the_embedded_engines_terms_for_every_catalogue_word() -> None:
    services = seeded_services()
    index = LuceneIndex([schema.document(s) for s in services])

    for n, service in enumerate(services):
        terms = indexed_terms(service)
        for field in ("title", "body", "ministry_name", "title_prefixes", "keyword_prefixes"):
            assert index.tokens(field, n) == terms[field], (service.slug, field)
        assert index.documents[n]["keywords"] == terms["keywords"]
        assert set(index.documents[n]["words"]) == set(terms["words"])


def test_every_query_asks_opensearch_for_exactly_the_terms_the_embedded_engine_searches() -> None:
    index = LuceneIndex([schema.document(s) for s in seeded_services()])
    read = statistics(index.search(statistics_body()))

    for item in relevance_set():
        plan = plan_query(SearchQuery(item["q"], lang=item["lang"]), SynonymIndex(), LEXICON)
        builder = QueryBuilder(read)
        body = builder.search(plan)
        asked = {value for field, value in _named(body["query"]) if field in FIELD_WEIGHTS}
        corrected = {t for c in builder.corrections.values() for t in analyse(c)}
        assert asked == set(plan.terms) | corrected, item["q"]
        assert all(whitespace_tokens(value) == [value] for value in asked), item["q"]


def _named(node: Any) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        for kind in ("term", "fuzzy", "prefix"):
            if kind in node and isinstance(node[kind], dict):
                for field, value in node[kind].items():
                    found.append((field, value["value"] if isinstance(value, dict) else value))
        for value in node.values():
            found += _named(value)
    elif isinstance(node, list):
        for value in node:
            found += _named(value)
    return found


def test_the_offline_cluster_reads_lengths_and_splits_text_as_lucene_does() -> None:
    # SmallFloat.intToByte4/byte4ToInt, and WhitespaceTokenizer (Character.isWhitespace, 255-character tokens).
    assert [stored_length(n) for n in (1, 23, 24, 25, 40, 100)] == [1, 23, 24, 25, 40, 96]
    assert whitespace_tokens("a\u00a0b c\u3000d") == ["a\u00a0b", "c", "d"]
    assert whitespace_tokens("x" * 300) == ["x" * 255, "x" * 45]
