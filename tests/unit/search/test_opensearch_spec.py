"""Every request the OpenSearch adapter sends, validated against OpenSearch's own API specification
(tests/data/opensearch_api, vendored at a pinned commit), strictly: an unknown key, an unknown query
parameter or a value of the wrong type fails here, offline, instead of on a cluster."""

from typing import Any

import pytest

from services.search.domain import SearchQuery, SynonymIndex, SynonymSet, plan_prefix, plan_query
from services.search.engines.opensearch import OpenSearchEngine
from services.search.lexicon import load_lexicon
from tests.integration.search.helpers import create_indexed_service
from tests.unit.search.fake_opensearch import FakeCluster, Sent, stats_answer
from tests.unit.search.opensearch_spec import OPERATIONS, SpecViolation, operation_for, validate

ALIAS = "portal-services"
LIVE, BUILDING = f"{ALIAS}-initial", f"{ALIAS}-20260102t000000-bbbbbb"
SERVICES = [create_indexed_service("renew-driving-licence", keywords=("ليسن", "DL"), popularity=4),
            create_indexed_service("passport", title_en="Issue a passport", title_ar="إصدار جواز سفر")]
QUERIES = ["تجديد رخصة", "passp", "pasport", "ودي اجدد الليسن", "renew car", "وش اسوي اذا انسرقت"]


def searches(cluster: FakeCluster, count: int) -> None:
    for _ in range(count):
        cluster.answer("POST", f"/{ALIAS}/_search", {"hits": {"total": {"value": 0}, "hits": []}})


async def a_life_cycle() -> list[Sent]:
    """Start on an empty cluster and again on a running one, write, search, complete and rebuild."""
    cluster = FakeCluster()
    cluster.answer("PUT", f"/_index_template/{ALIAS}-template")
    cluster.answer("HEAD", f"/{ALIAS}-*/_alias/{ALIAS}", status=404)
    cluster.answer("PUT", f"/{ALIAS}-*")
    cluster.answer("PUT", f"/_index_template/{ALIAS}-template")
    cluster.answer("HEAD", f"/{ALIAS}-*/_alias/{ALIAS}")
    cluster.answer("PUT", f"/{ALIAS}/_mapping")
    engine = OpenSearchEngine(cluster.client(), ALIAS)
    await engine.start()
    await engine.start()

    cluster.answer("GET", f"/{ALIAS}-*/_alias", {LIVE: {"aliases": {ALIAS: {}}}})
    for slug in ("renew-driving-licence", "passport", "old-permit", "renew-driving-licence"):
        cluster.answer("POST", f"/{ALIAS}/_update/{slug}", {"result": "updated"})
    await engine.put(SERVICES[0])
    await engine.put(SERVICES[1])
    await engine.retire("old-permit", 3)
    await engine.set_popularity({"renew-driving-licence": 9})
    cluster.answer("GET", f"/{ALIAS}/_doc/passport", {"_source": {"version": 1}})
    await engine.version_of("passport")
    cluster.answer("POST", f"/{ALIAS}/_count", {"count": 2})
    await engine.count()

    cluster.answer("POST", f"/{ALIAS}/_search", stats_answer(SERVICES))
    searches(cluster, len(QUERIES) + 3)
    synonyms = SynonymIndex([SynonymSet(1, "en", ("car", "vehicle"))])
    for text in QUERIES:
        await engine.search(plan_query(SearchQuery(text, lang="en", session="a citizen"), synonyms, load_lexicon()))
    await engine.search(plan_query(SearchQuery("", ministry="rop", life_event="driving", maturity="electronic",
                                               page=500), synonyms))
    await engine.suggest(plan_prefix("تجديد الرخ"), 8)
    await engine.suggest(plan_prefix("passp"), 8)

    cluster.answer("GET", f"/{ALIAS}-*/_alias", {LIVE: {"aliases": {ALIAS: {}}}, BUILDING: {"aliases": {}}})
    cluster.answer("DELETE", f"/{BUILDING}")
    cluster.answer("PUT", f"/{ALIAS}-*")
    build = await engine.begin_rebuild()
    building = {LIVE: {"aliases": {ALIAS: {}}}, build: {"aliases": {f"{ALIAS}-building": {}}}}
    for _ in range(3):
        cluster.answer("GET", f"/{ALIAS}-*/_alias", building)
    updated = {"errors": False, "items": [{"update": {"result": "created"}}]}
    cluster.answer("POST", "/_bulk", {"errors": False, "items": [{"update": {"result": "created"}}] * 2})
    await engine.add_to_rebuild(build, SERVICES)
    cluster.answer("POST", f"/{ALIAS}/_search", {"hits": {"total": {"value": 1}, "hits": [
        {"_id": "old-permit", "_source": {"slug": "old-permit", "version": 3}}]}})
    cluster.answer("POST", "/_bulk", updated)
    cluster.answer("POST", f"/{build}/_refresh")
    cluster.answer("POST", f"/{build}/_count", {"count": 2})
    cluster.answer("POST", "/_aliases")
    cluster.answer("DELETE", f"/{LIVE}")
    await engine.complete_rebuild(build, expected=2)
    return cluster.sent


async def test_every_request_the_adapter_sends_is_one_the_specification_describes() -> None:
    sent = await a_life_cycle()

    checked = {validate(s.method, s.path, s.params, s.body) for s in sent}

    assert checked == {f"{method.upper()} {path}" for method, path in OPERATIONS}


@pytest.mark.parametrize(("method", "path", "params", "body"), [
    ("POST", f"/{ALIAS}/_search", {}, {"query": {"bool": {"should": [], "minimum_should_macth": 1}}}),
    ("POST", f"/{ALIAS}/_search", {}, {"query": {"fuzzy": {"title": {"value": "x", "fuzzyness": 1}}}}),
    ("POST", f"/{ALIAS}/_search", {}, {"query": {"dis_max": {"queries": [], "tiebreaker": 0.3}}}),
    ("POST", f"/{ALIAS}/_search", {}, {"aggs": {"ministry": {"terms": {"field": "ministry"}, "size": 10}}}),
    ("POST", f"/{ALIAS}/_search", {"preferense": "p1"}, None),
    ("POST", f"/{ALIAS}/_update/x", {"retry_on_conflict": "three"}, {"doc": {}}),
    ("PUT", f"/{ALIAS}-1", {}, {"aliases": {ALIAS: {}}, "mapping": {}}),
    ("POST", "/_aliases", {}, {"actions": [{"move": {"index": "a", "alias": ALIAS}}]}),
])
def test_the_validator_refuses_what_the_specification_does_not_describe(
        method: str, path: str, params: dict[str, Any], body: Any) -> None:
    with pytest.raises(SpecViolation):
        validate(method, path, params, body)


def test_a_path_is_read_as_the_most_specific_operation() -> None:
    assert operation_for("HEAD", f"/{ALIAS}-%2A/_alias/{ALIAS}") == "HEAD /{index}/_alias/{name}"
    assert operation_for("PUT", f"/{ALIAS}/_mapping") == "PUT /{index}/_mapping"
