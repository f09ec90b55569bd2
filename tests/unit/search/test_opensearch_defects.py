"""Issue #26's defects 1-9, each read where it would show: the terms OpenSearch holds and is asked for,
the requests the adapter sends, and what the portal answers when the cluster misbehaves."""

import json
from typing import Any

import pytest
from opensearchpy import ConnectionTimeout

from services.search.domain import IndexedService, SearchQuery, SynonymIndex, build_document, plan_query
from services.search.domain.analysis import analyse
from services.search.domain.errors import SearchError
from services.search.engines import opensearch_schema as schema
from services.search.engines.opensearch import OpenSearchEngine
from tests.integration.search.helpers import create_indexed_service, create_service_record
from tests.unit.search.fake_opensearch import FakeCluster, stats_answer, walk

ALIAS = "portal-services"
SCORED_TEXT = ("title", "body", "ministry_name")


def empty_answer() -> dict[str, Any]:
    return {"hits": {"total": {"value": 0}, "hits": []},
            "aggregations": {f: {"buckets": []} for f in ("ministry", "life_event", "maturity")}}


async def searched(text: str, services: list[IndexedService], lang: str = "ar", **filters: Any
                   ) -> tuple[Any, dict[str, Any], FakeCluster]:
    cluster = FakeCluster()
    cluster.answer("POST", f"/{ALIAS}/_search", stats_answer(services))
    cluster.answer("POST", f"/{ALIAS}/_search", empty_answer())
    results = await OpenSearchEngine(cluster.client(), ALIAS).search(
        plan_query(SearchQuery(text, lang=lang, **filters), SynonymIndex()))  # type: ignore[arg-type]
    return results, cluster.requests("POST", f"/{ALIAS}/_search")[-1].body, cluster


def pre_analysed(document: dict[str, Any], field: str) -> list[str]:
    value = document[field]
    return " ".join(value if isinstance(value, list) else [value]).split()


# 1, 2, 4: OpenSearch holds exactly the terms the embedded engine holds, split on whitespace only.

@pytest.mark.parametrize("title", ["وفاة", "الوفاة", "ولادة", "رخصتي", "تجديد الإقامات", "ﻻئحة", "قُرْآنٰ",
                                   "driving", "booking", "housing", "Licensing centers"])
def test_opensearch_indexes_each_word_as_the_embedded_engine_analyses_it(title: str) -> None:
    service = build_document(create_service_record(title_ar=title, title_en=title, description_ar=title,
                                                   description_en=title, keywords=(title,)))
    document = schema.document(service)
    properties = schema.mappings()["properties"]

    for field in SCORED_TEXT:
        assert properties[field]["analyzer"] == "whitespace", field
    assert pre_analysed(document, "title") == analyse(title) + analyse(title)
    assert pre_analysed(document, "body") == analyse(title) + analyse(title)
    assert document["keywords"] == analyse(title)


# 3: fuzziness only for a word no service holds, as the embedded engine does.

async def test_a_word_services_hold_is_not_stretched_to_its_neighbours() -> None:
    services = [create_indexed_service("define-plot", title_ar="تحديد قطعة أرض"),
                create_indexed_service("renew-licence", title_ar="تجديد رخصة")]

    _, body, _ = await searched("تحديد", services)

    assert "fuzz" not in json.dumps(body)


async def test_a_half_typed_word_is_completed_and_forgiven_like_the_embedded_engine_does() -> None:
    _, body, _ = await searched("passp", [create_indexed_service("passport", title_en="Issue a passport")], "en")

    sent = json.dumps(body)
    assert '"prefix"' in sent and '"fuzzy"' in sent and '"passp"' in sent


# 5: a blank query with filters keeps the popularity order.

async def test_a_blank_filtered_query_still_scores_every_service_so_popularity_orders_them() -> None:
    _, body, _ = await searched("", [create_indexed_service()], ministry="rop")

    matching = body["query"]["function_score"]["query"]["bool"]
    [scoring] = matching["must"]
    assert "match_all" in scoring and scoring["match_all"]["boost"] > 0


# 6: "did you mean" offers words services write, not index terms.

async def test_did_you_mean_offers_a_word_as_services_write_it() -> None:
    services = [create_indexed_service("passport", title_en="Issue a passport", title_ar="إصدار جواز سفر")]

    results, body, _ = await searched("pasport", services, "en")

    assert results.suggestion == "passport"
    assert "suggest" not in body


# 8, 9: one first index with its alias, whichever replica gets there first; checks scoped to the portal's indices.

async def test_two_replicas_starting_together_make_one_first_index_and_both_start() -> None:
    cluster = FakeCluster()
    for _ in range(2):
        cluster.answer("PUT", f"/_index_template/{ALIAS}-template")
        cluster.answer("HEAD", f"/{ALIAS}-*/_alias/{ALIAS}", status=404)
    cluster.answer("PUT", f"/{ALIAS}-*")
    cluster.answer("PUT", f"/{ALIAS}-*", {"error": {"type": "resource_already_exists_exception"}}, status=400)

    for _ in range(2):
        await OpenSearchEngine(cluster.client(), ALIAS).start()

    first, second = cluster.requests("PUT", f"/{ALIAS}-")
    assert first.path == second.path
    assert first.body == {"aliases": {ALIAS: {}}}


async def test_the_alias_is_looked_up_among_the_portals_own_indices_only() -> None:
    cluster = FakeCluster()
    cluster.answer("PUT", f"/_index_template/{ALIAS}-template")
    cluster.answer("HEAD", f"/{ALIAS}-*/_alias/{ALIAS}")
    cluster.answer("PUT", f"/{ALIAS}/_mapping")

    await OpenSearchEngine(cluster.client(), ALIAS).start()

    assert [s.path for s in cluster.requests("HEAD")] == [f"/{ALIAS}-*/_alias/{ALIAS}"]


# 9: keywords scored flat, as the embedded engine scores them.

async def test_a_keyword_scores_the_same_in_a_long_list_as_in_a_short_one() -> None:
    services = [create_indexed_service("a", keywords=("ليسن",)),
                create_indexed_service("b", keywords=("ليسن", *(f"كلمه{n}" for n in range(20))))]

    _, body, _ = await searched("ليسن", services)

    keyword_clauses = [q for q in walk(body["query"]) if "constant_score" in q
                       and q["constant_score"]["filter"] == {"term": {"keywords": "ليسن"}}]
    assert keyword_clauses and all(q["constant_score"]["boost"] > 0 for q in keyword_clauses)
    assert "keywords" not in json.dumps([q for q in walk(body["query"]) if "term" in q and "boost" in json.dumps(q)])


# 9: the index being built is written only while it still is being built.

async def test_a_write_never_recreates_an_index_a_finished_rebuild_took_away() -> None:
    cluster = FakeCluster()
    cluster.answer("GET", f"/{ALIAS}-*/_alias", {f"{ALIAS}-1": {"aliases": {ALIAS: {}}},
                                                 f"{ALIAS}-2": {"aliases": {f"{ALIAS}-building": {}}}})
    cluster.answer("POST", f"/{ALIAS}/_update/birth", {"result": "updated"})
    cluster.answer("POST", f"/{ALIAS}-building/_update/birth",
                   {"error": {"type": "index_not_found_exception"}}, status=404)

    assert await OpenSearchEngine(cluster.client(), ALIAS).put(create_indexed_service("birth"))

    building = cluster.requests("POST", f"/{ALIAS}-building/_update")
    assert [s.params.get("require_alias") for s in building] == ["true"]


# 9: the same shard copies answer a citizen's pages.

async def test_a_search_names_a_preference_so_pages_come_from_the_same_copies() -> None:
    _, _, cluster = await searched("جواز", [create_indexed_service()])

    preferences = {s.params.get("preference") for s in cluster.requests("POST", f"/{ALIAS}/_search")[-1:]}
    assert preferences and None not in preferences


async def test_a_citizens_pages_share_one_preference_and_the_session_id_never_reaches_the_cluster() -> None:
    cluster = FakeCluster()
    cluster.answer("POST", f"/{ALIAS}/_search", stats_answer([create_indexed_service()]))
    engine = OpenSearchEngine(cluster.client(), ALIAS)
    for session, page in (("session-a", 1), ("session-a", 2), ("session-b", 1)):
        cluster.answer("POST", f"/{ALIAS}/_search", empty_answer())
        await engine.search(plan_query(SearchQuery("جواز", page=page, session=session), SynonymIndex()))

    first, second, other = [s.params["preference"] for s in cluster.requests("POST", f"/{ALIAS}/_search")[1:]]
    assert first == second != other
    assert "session" not in first and not first.startswith("_")


# 9: a cluster that does not answer is a 503 naming the search engine.

async def test_a_cluster_that_times_out_is_reported_as_the_search_engine_unavailable() -> None:
    cluster = FakeCluster()
    engine = OpenSearchEngine(cluster.client(), ALIAS)

    async def timing_out(*_: Any, **__: Any) -> Any:
        raise ConnectionTimeout("TIMEOUT", "timed out", None)

    engine._client.search = timing_out  # type: ignore[method-assign]

    with pytest.raises(SearchError) as raised:
        await engine.search(plan_query(SearchQuery("جواز"), SynonymIndex()))

    assert raised.value.status == 503
    assert "OpenSearch" in raised.value.detail
