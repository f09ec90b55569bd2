"""What the OpenSearch engine asks a cluster for, read at the HTTP boundary (no cluster runs here)."""

import math
from typing import Any

import pytest

from services.search.domain import (
    Conflict,
    SearchQuery,
    SynonymIndex,
    SynonymSet,
    build_document,
    plan_prefix,
    plan_query,
)
from services.search.domain.understanding import CONCEPT_WEIGHTS, INTENT_WEIGHT
from services.search.engines import opensearch_schema as schema
from services.search.engines.opensearch import OpenSearchEngine
from services.search.engines.opensearch_queries import LUCENE_SCALE, QueryBuilder, TermStatistics
from services.search.lexicon import load_lexicon
from tests.integration.search.helpers import create_indexed_service, create_service_record
from tests.unit.search.fake_opensearch import FakeCluster, stats_answer, walk

ALIAS = "portal-services"
BUILDING_ALIAS = f"{ALIAS}-building"
LIVE, BUILDING = "portal-services-20260101t000000-aaaaaa", "portal-services-20260102t000000-bbbbbb"
THROUGH_ALIAS = {"retry_on_conflict": 3, "require_alias": "true"}


def create_engine(cluster: FakeCluster) -> OpenSearchEngine:
    return OpenSearchEngine(cluster.client(), ALIAS)


def indices(*building: str) -> dict[str, Any]:
    return {LIVE: {"aliases": {ALIAS: {}}}, **{name: {"aliases": {BUILDING_ALIAS: {}}} for name in building}}


def hit_for(slug: str, score: float, **changes: Any) -> dict[str, Any]:
    service = create_indexed_service(slug, **changes)
    return {"_id": slug, "_score": score, "_source": {"source": service.model_dump(mode="json")}}


async def test_starting_installs_the_template_and_puts_a_first_index_behind_the_alias() -> None:
    cluster = FakeCluster()
    cluster.answer("PUT", f"/_index_template/{ALIAS}-template")
    cluster.answer("HEAD", f"/{ALIAS}-*/_alias/{ALIAS}", status=404)
    cluster.answer("PUT", f"/{ALIAS}-*")

    await create_engine(cluster).start()

    template = cluster.requests("PUT", "/_index_template")[0].body
    assert template["index_patterns"] == [f"{ALIAS}-*"]
    assert template["template"]["mappings"] == schema.mappings()
    [created] = cluster.requests("PUT", f"/{ALIAS}-")
    assert created.body == {"aliases": {ALIAS: {}}}


async def test_starting_again_keeps_the_live_index_and_adds_any_new_fields_to_it() -> None:
    cluster = FakeCluster()
    cluster.answer("PUT", f"/_index_template/{ALIAS}-template")
    cluster.answer("HEAD", f"/{ALIAS}-*/_alias/{ALIAS}")
    cluster.answer("PUT", f"/{ALIAS}/_mapping")

    await create_engine(cluster).start()

    assert cluster.requests("PUT", f"/{ALIAS}-") == []
    [mapping] = cluster.requests("PUT", f"/{ALIAS}/_mapping")
    assert mapping.body == schema.mappings()


async def test_a_service_is_written_only_when_its_version_is_newer_than_the_stored_one() -> None:
    cluster = FakeCluster()
    cluster.answer("GET", f"/{ALIAS}-*/_alias", indices())
    cluster.answer("POST", f"/{ALIAS}/_update/renew-driving-licence", {"result": "updated"})
    cluster.answer("POST", f"/{ALIAS}/_update/renew-driving-licence", {"result": "noop"})
    engine = create_engine(cluster)
    service = create_indexed_service(version=4, popularity=7)

    assert await engine.put(service)
    assert not await engine.put(service)

    sent = cluster.requests("POST", f"/{ALIAS}/_update")[0]
    assert sent.params == {"refresh": "wait_for", **THROUGH_ALIAS}
    assert sent.body["scripted_upsert"] is True
    script = sent.body["script"]
    assert "params.version" in script["source"] and "ctx.op = 'none'" in script["source"]
    assert script["params"]["version"] == 4
    assert script["params"]["doc"]["source"] == service.model_dump(mode="json")
    assert script["params"]["doc"]["retired"] is False


async def test_a_retirement_leaves_a_tombstone_with_its_version() -> None:
    cluster = FakeCluster()
    cluster.answer("GET", f"/{ALIAS}-*/_alias", indices())
    cluster.answer("POST", f"/{ALIAS}/_update/old-permit", {"result": "updated"})

    assert await create_engine(cluster).retire("old-permit", 5)

    params = cluster.requests("POST", f"/{ALIAS}/_update")[0].body["script"]["params"]
    assert params == {"version": 5, "doc": {"slug": "old-permit", "version": 5, "retired": True}, "weight": 0.1}


async def test_popularity_is_set_without_touching_the_catalogue_version() -> None:
    cluster = FakeCluster()
    cluster.answer("GET", f"/{ALIAS}-*/_alias", indices())
    cluster.answer("POST", f"/{ALIAS}/_update/birth", {"result": "updated"})

    await create_engine(cluster).set_popularity({"birth": 12})

    body = cluster.requests("POST", f"/{ALIAS}/_update")[0].body
    assert body["script"]["params"] == {"submissions": 12, "weight": 0.1}
    assert "version" not in body["script"]["source"]


async def test_writes_during_a_rebuild_reach_the_index_being_built_too() -> None:
    cluster = FakeCluster()
    cluster.answer("GET", f"/{ALIAS}-*/_alias", indices(BUILDING))
    cluster.answer("POST", f"/{ALIAS}/_update/birth", {"result": "updated"})
    cluster.answer("POST", f"/{BUILDING_ALIAS}/_update/birth", {"result": "noop"})

    assert await create_engine(cluster).put(create_indexed_service("birth"))

    assert [s.path for s in cluster.requests("POST")] == [f"/{ALIAS}/_update/birth", f"/{BUILDING_ALIAS}/_update/birth"]


def test_a_search_asks_for_filters_synonyms_popularity_and_facets_in_the_embedded_engines_terms() -> None:
    synonyms = SynonymIndex([SynonymSet(1, "en", ("car", "vehicle"))])
    plan = plan_query(SearchQuery("renewing cars", lang="en", ministry="rop", page=2), synonyms)

    body = QueryBuilder(TermStatistics(documents=10, terms=frozenset({"renew", "car"}))).search(plan)

    scored = body["query"]["function_score"]
    assert scored["boost_mode"] == "multiply"
    assert scored["functions"] == [{"field_value_factor": {"field": "popularity_boost", "missing": 1}}]
    matching = scored["query"]["bool"]
    assert matching["filter"] == [{"term": {"retired": False}}, {"term": {"ministry": "rop"}}]
    renew, car = matching["should"]
    assert renew["dis_max"]["queries"][0] == {"term": {"title": {"value": "renew", "boost": 3.0}}}
    assert [q["dis_max"]["queries"][0]["term"]["title"]["value"] for q in car["dis_max"]["queries"]] == ["car",
                                                                                                         "vehicle"]
    assert (body["from"], body["size"]) == (20, 20)
    assert body["sort"] == ["_score", "slug"]
    assert set(body["aggs"]) == {"ministry", "life_event", "maturity"}
    assert "suggest" not in body


async def test_an_answer_becomes_hits_facets_and_a_did_you_mean() -> None:
    cluster = FakeCluster()
    cluster.answer("POST", f"/{ALIAS}/_search", stats_answer([create_indexed_service("passport",
                                                                                     title_en="Issue a passport")]))
    cluster.answer("POST", f"/{ALIAS}/_search", {
        "hits": {"total": {"value": 1}, "hits": [hit_for("passport", 7.5, title_en="Issue a passport")]},
        "aggregations": {"ministry": {"buckets": [{"key": "rop", "doc_count": 1}]}, "life_event": {"buckets": []},
                         "maturity": {"buckets": [{"key": "electronic", "doc_count": 1}]}},
    })

    results = await create_engine(cluster).search(plan_query(SearchQuery("pasport", lang="en"), SynonymIndex()))

    assert (results.total, results.suggestion) == (1, "passport")
    assert [(h.service.slug, h.score, h.highlight) for h in results.hits] == [
        ("passport", 16.5, "Issue a <mark>passport</mark>")]
    assert (results.facets.ministry, results.facets.maturity) == ({"rop": 1}, {"electronic": 1})


async def test_autocomplete_asks_the_prefix_fields_and_needs_the_finished_words() -> None:
    cluster = FakeCluster()
    cluster.answer("POST", f"/{ALIAS}/_search", stats_answer([create_indexed_service("renew")]))
    cluster.answer("POST", f"/{ALIAS}/_search", {"hits": {"total": {"value": 1}, "hits": [hit_for("renew", 2.0)]}})

    found = await create_engine(cluster).suggest(plan_prefix("تجديد الرخ"), 8)

    assert [s.slug for s in found] == ["renew"]
    must = cluster.sent[-1].body["query"]["function_score"]["query"]["bool"]["must"]
    assert {q["term"][f]["value"] for q in must[0]["dis_max"]["queries"] for f in q["term"]} == {"الرخ", "رخ"}
    assert must[1]["dis_max"]["queries"][0] == {"term": {"title": {"value": "تجديد", "boost": 2.0}}}


async def test_completing_a_rebuild_carries_tombstones_and_moves_the_alias_in_one_step() -> None:
    cluster = FakeCluster()
    cluster.answer("GET", f"/{ALIAS}-*/_alias", indices(BUILDING))
    cluster.answer("POST", f"/{ALIAS}/_search", {"hits": {"total": {"value": 1}, "hits": [
        {"_id": "old", "_source": {"slug": "old", "version": 3}}]}})
    cluster.answer("POST", "/_bulk", {"errors": False, "items": [{"update": {"result": "created"}}]})
    cluster.answer("POST", f"/{BUILDING}/_refresh")
    cluster.answer("POST", f"/{BUILDING}/_count", {"count": 70})
    cluster.answer("GET", f"/{ALIAS}-*/_alias", indices(BUILDING))
    cluster.answer("POST", "/_aliases")
    cluster.answer("DELETE", f"/{LIVE}")

    summary = await create_engine(cluster).complete_rebuild(BUILDING, expected=70)

    assert (summary.services, summary.retired) == (70, 1)
    bulk = cluster.requests("POST", "/_bulk")[0].body
    assert bulk[0] == {"update": {"_index": BUILDING_ALIAS, "_id": "old", "retry_on_conflict": 3,
                                  "require_alias": True}}
    assert bulk[1]["script"]["params"]["doc"] == {"slug": "old", "version": 3, "retired": True}
    assert cluster.requests("POST", "/_aliases")[0].body == {"actions": [
        {"remove": {"index": LIVE, "alias": ALIAS}}, {"remove": {"index": BUILDING, "alias": BUILDING_ALIAS}},
        {"add": {"index": BUILDING, "alias": ALIAS}}]}
    assert [s.path for s in cluster.requests("DELETE")] == [f"/{LIVE}"]


async def test_a_rebuild_short_of_services_leaves_the_alias_where_it_is() -> None:
    cluster = FakeCluster()
    cluster.answer("GET", f"/{ALIAS}-*/_alias", indices(BUILDING))
    cluster.answer("POST", f"/{ALIAS}/_search", {"hits": {"total": {"value": 0}, "hits": []}})
    cluster.answer("POST", f"/{BUILDING}/_refresh")
    cluster.answer("POST", f"/{BUILDING}/_count", {"count": 12})

    with pytest.raises(Conflict):
        await create_engine(cluster).complete_rebuild(BUILDING, expected=70)

    assert cluster.requests("POST", "/_aliases") == []


async def test_a_new_rebuild_drops_an_unfinished_one_and_builds_from_the_template() -> None:
    cluster = FakeCluster()
    cluster.answer("GET", f"/{ALIAS}-*/_alias", indices(BUILDING))
    cluster.answer("DELETE", f"/{BUILDING}")
    cluster.answer("PUT", f"/{ALIAS}-*")

    build = await create_engine(cluster).begin_rebuild()

    assert build.startswith(f"{ALIAS}-") and build != BUILDING
    [created] = cluster.requests("PUT")
    assert (created.path, created.body) == (f"/{build}", {"aliases": {BUILDING_ALIAS: {}}})


def test_every_field_a_query_names_is_mapped_and_holds_pre_analysed_terms() -> None:
    properties = schema.mappings()["properties"]
    service = create_indexed_service(keywords=("ليسن",))
    plan = plan_query(SearchQuery("تجديد ليسن"), SynonymIndex(), load_lexicon())
    body = QueryBuilder(TermStatistics(documents=3, terms=frozenset({"تجديد"}))).search(plan)

    named = {key for node in walk(body["query"]) for kind in ("term", "fuzzy", "prefix") if kind in node
             for key in node[kind]}
    assert named <= set(properties)
    assert all(properties[f].get("analyzer") in (None, "whitespace") for f in named)
    assert set(schema.document(service)) <= set(properties)


def test_an_understood_query_asks_for_its_concepts_and_intents_with_the_embedded_engines_weights() -> None:
    plan = plan_query(SearchQuery("ودي اجدد الليسن"), SynonymIndex(), load_lexicon())
    stats = TermStatistics(documents=10, found_in={"concepts": {"driving-licence": 2}, "intents": {"renew": 3}})

    should = QueryBuilder(stats).search(plan)["query"]["function_score"]["query"]["bool"]["should"]

    typed = {q["term"]["title"]["value"] for node in should for q in walk(node) if "title" in q.get("term", {})}
    assert "تجديد" in typed and "ودي" not in typed
    concept = [q for q in walk(should) if q.get("constant_score", {}).get("filter") ==
               {"term": {"concepts": "driving-licence"}}]
    assert concept[0]["constant_score"]["boost"] == stats.flat("concepts", "driving-licence",
                                                               CONCEPT_WEIGHTS["concepts"])
    intent = [q for q in should if q.get("constant_score", {}).get("filter") == {"term": {"intents": "renew"}}]
    assert intent[0]["constant_score"]["boost"] == pytest.approx(
        INTENT_WEIGHT * math.log(1 + (10 - 3 + 0.5) / 3.5) * LUCENE_SCALE)


def test_a_document_carries_the_concepts_its_text_holds_in_mapped_keyword_fields() -> None:
    record = create_service_record(title_ar="إصدار بدل فاقد لبطاقة الصيد", title_en="Replace a lost fishing card",
                                   description_en="If the card is stolen, apply for a replacement.")
    document = schema.document(build_document(record, lexicon=load_lexicon()))
    properties = schema.mappings()["properties"]

    assert "replace" in document["intents"] and "card" in document["concepts"]
    assert all(properties[f] == {"type": "keyword"} for f in ("concepts", "body_concepts", "intents"))
    assert set(document) <= set(properties)


def test_a_query_of_only_concepts_still_asks_for_them() -> None:
    plan = plan_query(SearchQuery("وش اسوي اذا انسرقت"), SynonymIndex(), load_lexicon())

    matching = QueryBuilder(TermStatistics()).search(plan)["query"]["function_score"]["query"]["bool"]

    assert {"term": {"intents": "replace"}} in [q.get("constant_score", {}).get("filter") for q in matching["should"]]
    assert matching["minimum_should_match"] == 1


