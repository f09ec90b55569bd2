"""What the OpenSearch engine asks a cluster for, read at the HTTP boundary (no cluster runs here)."""

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
from services.search.domain.analysis import (
    ARABIC_PREFIXES,
    ARABIC_STOPWORDS,
    DROPPED,
    ENGLISH_STOPWORDS,
    ENGLISH_VARIANTS,
    LETTER_FOLDS,
)
from services.search.domain.understanding import CONCEPT_WEIGHTS, INTENT_WEIGHT
from services.search.engines import opensearch_schema as schema
from services.search.engines.opensearch import OpenSearchEngine
from services.search.lexicon import load_lexicon
from tests.integration.search.helpers import create_indexed_service, create_service_record
from tests.unit.search.fake_opensearch import FakeCluster

ALIAS = "portal-services"
LIVE, BUILDING = "portal-services-20260101t000000-aaaaaa", "portal-services-20260102t000000-bbbbbb"


def create_engine(cluster: FakeCluster) -> OpenSearchEngine:
    return OpenSearchEngine(cluster.client(), ALIAS)


def indices(*building: str) -> dict[str, Any]:
    return {LIVE: {"aliases": {ALIAS: {}}}, **{name: {"aliases": {}} for name in building}}


def hit_for(slug: str, score: float, **changes: Any) -> dict[str, Any]:
    service = create_indexed_service(slug, **changes)
    return {"_id": slug, "_score": score, "_source": {"source": service.model_dump(mode="json")}}


async def test_starting_installs_the_template_and_puts_a_first_index_behind_the_alias() -> None:
    cluster = FakeCluster()
    cluster.answer("PUT", f"/_index_template/{ALIAS}-template")
    cluster.answer("HEAD", f"/_alias/{ALIAS}", status=404)
    cluster.answer("PUT", f"/{ALIAS}-*")

    await create_engine(cluster).start()

    template = cluster.requests("PUT", "/_index_template")[0].body
    assert template["index_patterns"] == [f"{ALIAS}-*"]
    analysers = template["template"]["settings"]["analysis"]["analyzer"]
    assert {"arabic_normalization", "portal_ar_stem"} <= set(analysers["portal_ar"]["filter"])
    assert {"portal_en_variants", "portal_en_stem"} <= set(analysers["portal_en"]["filter"])
    [created] = cluster.requests("PUT", f"/{ALIAS}-")
    assert created.body == {"aliases": {ALIAS: {}}}


async def test_starting_again_keeps_the_live_index_and_adds_the_concept_fields_to_it() -> None:
    cluster = FakeCluster()
    cluster.answer("PUT", f"/_index_template/{ALIAS}-template")
    cluster.answer("HEAD", f"/_alias/{ALIAS}")
    cluster.answer("PUT", f"/{ALIAS}/_mapping")

    await create_engine(cluster).start()

    assert cluster.requests("PUT", f"/{ALIAS}-") == []
    [mapping] = cluster.requests("PUT", f"/{ALIAS}/_mapping")
    assert mapping.body == {"properties": {f: {"type": "keyword"} for f in ("concepts", "body_concepts", "intents")}}


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
    assert sent.params == {"refresh": "wait_for", "retry_on_conflict": 3}
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
    assert params == {"version": 5, "doc": {"slug": "old-permit", "version": 5, "retired": True}}


async def test_popularity_is_set_without_touching_the_catalogue_version() -> None:
    cluster = FakeCluster()
    cluster.answer("GET", f"/{ALIAS}-*/_alias", indices())
    cluster.answer("POST", f"/{ALIAS}/_update/birth", {"result": "updated"})

    await create_engine(cluster).set_popularity("birth", 12)

    body = cluster.requests("POST", f"/{ALIAS}/_update")[0].body
    assert body["script"]["params"] == {"submissions": 12}
    assert "version" not in body["script"]["source"]


async def test_writes_during_a_rebuild_reach_the_index_being_built_too() -> None:
    cluster = FakeCluster()
    cluster.answer("GET", f"/{ALIAS}-*/_alias", indices(BUILDING))
    cluster.answer("POST", f"/{ALIAS}/_update/birth", {"result": "updated"})
    cluster.answer("POST", f"/{BUILDING}/_update/birth", {"result": "noop"})

    assert await create_engine(cluster).put(create_indexed_service("birth"))

    assert [s.path for s in cluster.requests("POST")] == [f"/{ALIAS}/_update/birth", f"/{BUILDING}/_update/birth"]


def test_a_search_asks_for_filters_fuzziness_synonyms_popularity_facets_and_spelling() -> None:
    synonyms = SynonymIndex([SynonymSet(1, "en", ("car", "vehicle"))])
    plan = plan_query(SearchQuery("renew car", lang="en", ministry="rop", page=2), synonyms)

    body = create_engine(FakeCluster()).search_body(plan)

    scored = body["query"]["function_score"]
    assert scored["boost_mode"] == "multiply"
    assert scored["script_score"]["script"]["params"] == {"weight": 0.1}
    matching = scored["query"]["bool"]
    assert matching["filter"] == [{"term": {"retired": False}}, {"term": {"ministry": "rop"}}]
    renew, car = matching["should"]
    assert renew["multi_match"]["query"] == "renew"
    assert renew["multi_match"]["fuzziness"] == "AUTO"
    assert "title_ar^3.0" in renew["multi_match"]["fields"]
    assert [q["multi_match"]["query"] for q in car["dis_max"]["queries"]] == ["car", "vehicle"]
    assert all("fuzziness" not in q["multi_match"] for q in car["dis_max"]["queries"])
    assert (body["from"], body["size"]) == (20, 20)
    assert body["sort"] == ["_score", {"slug": "asc"}]
    assert set(body["aggs"]) == {"ministry", "life_event", "maturity"}
    assert body["suggest"]["spelling"]["term"]["field"] == "spelling"


async def test_an_answer_becomes_hits_facets_and_a_did_you_mean() -> None:
    cluster = FakeCluster()
    cluster.answer("POST", f"/{ALIAS}/_search", {
        "hits": {"total": {"value": 1}, "hits": [hit_for("passport", 7.5, title_en="Issue a passport")]},
        "aggregations": {"ministry": {"buckets": [{"key": "rop", "doc_count": 1}]}, "life_event": {"buckets": []},
                         "maturity": {"buckets": [{"key": "electronic", "doc_count": 1}]}},
        "suggest": {"spelling": [{"text": "pasport", "offset": 0, "length": 7,
                                  "options": [{"text": "passport", "score": 0.9, "freq": 3}]}]},
    })

    results = await create_engine(cluster).search(plan_query(SearchQuery("pasport", lang="en"), SynonymIndex()))

    assert (results.total, results.suggestion) == (1, "passport")
    assert [(h.service.slug, h.score, h.highlight) for h in results.hits] == [
        ("passport", 7.5, "Issue a <mark>passport</mark>")]
    assert (results.facets.ministry, results.facets.maturity) == ({"rop": 1}, {"electronic": 1})


async def test_autocomplete_asks_the_prefix_fields_and_needs_the_finished_words() -> None:
    cluster = FakeCluster()
    cluster.answer("POST", f"/{ALIAS}/_search", {"hits": {"total": {"value": 1}, "hits": [hit_for("renew", 2.0)]}})

    found = await create_engine(cluster).suggest(plan_prefix("تجديد الرخ"), 8)

    assert [s.slug for s in found] == ["renew"]
    must = cluster.sent[0].body["query"]["function_score"]["query"]["bool"]["must"]
    assert {q["multi_match"]["query"] for q in must[0]["bool"]["should"]} == {"الرخ", "رخ"}
    assert must[1]["multi_match"] == {"query": "تجديد", "fields": ["title_ar^2", "title_en^2", "keywords_ar",
                                                                     "keywords_en"], "operator": "and"}


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
    assert bulk[0] == {"update": {"_index": BUILDING, "_id": "old", "retry_on_conflict": 3}}
    assert bulk[1]["script"]["params"]["doc"] == {"slug": "old", "version": 3, "retired": True}
    assert cluster.requests("POST", "/_aliases")[0].body == {"actions": [
        {"remove": {"index": LIVE, "alias": ALIAS}}, {"add": {"index": BUILDING, "alias": ALIAS}}]}
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
    assert [s.path for s in cluster.requests("PUT")] == [f"/{build}"]


# The template's analysers must be what the query path expects.

def template_analysis() -> dict[str, Any]:
    return schema.index_template(ALIAS)["template"]["settings"]["analysis"]


def test_every_field_a_query_names_is_mapped_with_the_analyser_for_its_language() -> None:
    properties = schema.mappings()["properties"]
    plan = plan_query(SearchQuery("تجديد رخصة"), SynonymIndex())
    queried = create_engine(FakeCluster()).search_body(plan)["query"]["function_score"]["query"]["bool"]["should"]
    for field in queried[0]["multi_match"]["fields"]:
        name = field.split("^")[0]
        assert properties[name]["analyzer"] == ("portal_ar" if name.endswith("_ar") else "portal_en"), name
    for field in schema.PREFIX_FIELDS:
        name, sub = field.split(".")
        assert properties[name]["fields"][sub] == {"type": "text", "analyzer": "portal_prefix",
                                                   "search_analyzer": "portal_fold"}
    assert properties["spelling"]["analyzer"] == "portal_fold"
    assert all(properties[f]["type"] == "keyword" for f in schema.FACET_FIELDS.values())


def test_the_template_folds_every_letter_the_query_path_folds() -> None:
    analysis = template_analysis()
    mapped = dict(rule.split(" => ") for rule in analysis["char_filter"]["portal_fold"]["mappings"])
    mapped = {chr(int(source[2:], 16)): target for source, target in mapped.items()}
    for letter, folded in LETTER_FOLDS.items():
        assert letter in schema.LUCENE_ARABIC_NORMALIZATION or mapped.get(letter) == folded, letter
    assert all(mapped[c] == "" for c in DROPPED)
    for name in ("portal_ar", "portal_en", "portal_fold", "portal_prefix"):
        analyser = analysis["analyzer"][name]
        assert analyser["char_filter"] == ["portal_fold"]
        assert {"lowercase", "decimal_digit", "arabic_normalization"} <= set(analyser["filter"]), name


def test_the_template_drops_the_same_little_words_after_normalising_as_the_query_path() -> None:
    analysis = template_analysis()
    assert set(analysis["filter"]["portal_ar_stop"]["stopwords"]) == ARABIC_STOPWORDS
    assert set(analysis["filter"]["portal_en_stop"]["stopwords"]) == ENGLISH_STOPWORDS
    arabic = analysis["analyzer"]["portal_ar"]["filter"]
    assert arabic.index("arabic_normalization") < arabic.index("portal_ar_stop") < arabic.index("portal_ar_stem")


def test_the_template_knows_the_same_spelling_variants_and_article_forms() -> None:
    analysis = template_analysis()
    rules = analysis["filter"]["portal_en_variants"]["synonyms"]
    assert rules == [f"{a} => {b}" for a, b in ENGLISH_VARIANTS.items()]
    assert analysis["filter"]["portal_ar_stem"] == {"type": "stemmer", "language": "arabic"}
    assert all(prefix in analysis["filter"]["portal_strip_article"]["pattern"] for prefix in ARABIC_PREFIXES)


def test_a_document_splits_keywords_by_language_and_keeps_what_hits_show() -> None:
    record = create_service_record(keywords=("ليسن", "DL"))
    document = schema.document(build_document(record))
    assert (document["keywords_ar"], document["keywords_en"]) == (["ليسن"], ["DL"])
    assert document["source"]["slug"] == record.slug
    assert set(document) <= set(schema.mappings()["properties"])


def test_an_understood_query_asks_for_its_concepts_and_intents_with_the_embedded_engines_weights() -> None:
    lexicon = load_lexicon()
    plan = plan_query(SearchQuery("ودي اجدد الليسن"), SynonymIndex(), lexicon)

    should = create_engine(FakeCluster()).search_body(plan)["query"]["function_score"]["query"]["bool"]["should"]

    texts = [q["multi_match"]["query"] for clause in should if "multi_match" in clause or "dis_max" in clause
             for q in ([clause] if "multi_match" in clause else clause["dis_max"]["queries"]) if "multi_match" in q]
    assert "تجديد" in texts and "رخصه" in texts and "ودي" not in texts
    concepts = [clause["dis_max"]["queries"] for clause in should
                if "dis_max" in clause and "term" in clause["dis_max"]["queries"][0]]
    assert [{"term": {field: {"value": "driving-licence", "boost": weight}}}
            for field, weight in CONCEPT_WEIGHTS.items()] in concepts
    assert {"term": {"intents": {"value": "renew", "boost": INTENT_WEIGHT}}} in should


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

    matching = create_engine(FakeCluster()).search_body(plan)["query"]["function_score"]["query"]["bool"]

    assert {"term": {"intents": {"value": "replace", "boost": INTENT_WEIGHT}}} in matching["should"]
    assert matching["minimum_should_match"] == 1
