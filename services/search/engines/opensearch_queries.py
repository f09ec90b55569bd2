"""What a query becomes for OpenSearch: the embedded engine's query (engines/embedded/queries.py), clause
for clause, over the same pre-analysed terms, under the same matching policy (domain/matching.py).

Scores keep the embedded engine's proportions. Lucene's BM25 (Lucene 8 and later) leaves out tantivy's
(1 + k1) factor, so every constant score here is the embedded one divided by it (and an answer's scores
are multiplied back, so both engines report the same scores); a flat field's score is computed from the
index's own term statistics, read and cached by the engine.
"""

from dataclasses import dataclass, field
from typing import Any

from services.search.domain import PrefixPlan, QueryPlan
from services.search.domain.matching import (
    CORRECTION_WEIGHT,
    FIELD_WEIGHTS,
    FLAT_FIELDS,
    FUZZY_WEIGHT,
    LEADING_WEIGHTS,
    SUGGEST_WEIGHTS,
    TIE_BREAKER,
    NearMiss,
    flat_score,
    near_miss,
)
from services.search.domain.spelling import Vocabulary
from services.search.domain.understanding import CONCEPT_WEIGHTS, INTENT_WEIGHT
from services.search.engines.opensearch_schema import FACET_FIELDS, TAG_FIELDS

BM25_K1 = 1.2
LUCENE_SCALE = 1 / (1 + BM25_K1)
# Lucene's fuzzy query expands to at most this many terms; the catalogue's near misses are far fewer.
MAX_EXPANSIONS = 50
# Term statistics, read in one request: how many services hold each value of these fields.
# Best first, then by slug (ascending, the default for a field), so equal scores keep one order.
SORT = ["_score", "slug"]
STATISTICS_SIZES = {"words": 20_000, "terms": 20_000, "keywords": 10_000, **dict.fromkeys(TAG_FIELDS, 2_000)}


@dataclass(frozen=True)
class TermStatistics:
    """What the index holds: its documents, the terms of its text, flat fields' document frequencies and
    the words services write (the spelling model)."""

    documents: int = 0
    terms: frozenset[str] = frozenset()
    found_in: dict[str, dict[str, int]] = field(default_factory=dict)
    vocabulary: Vocabulary = field(default_factory=lambda: Vocabulary({}))

    def flat(self, name: str, value: str, weight: float) -> float:
        return flat_score(weight, self.found_in.get(name, {}).get(value, 0), self.documents) * LUCENE_SCALE


def statistics_body() -> dict[str, Any]:
    return {"size": 0, "track_total_hits": True, "query": {"match_all": {}},
            "aggs": {name: {"terms": {"field": name, "size": size}} for name, size in STATISTICS_SIZES.items()}}


def statistics(found: dict[str, Any]) -> TermStatistics:
    counts = {name: {b["key"]: int(b["doc_count"]) for b in found["aggregations"][name]["buckets"]}
              for name in STATISTICS_SIZES}
    return TermStatistics(documents=int(found["hits"]["total"]["value"]), terms=frozenset(counts["terms"]),
                          found_in=counts, vocabulary=Vocabulary(counts["words"]))


def _term(name: str, value: str, boost: float) -> dict[str, Any]:
    return {"term": {name: {"value": value, "boost": boost}}}


def _constant(query: dict[str, Any], score: float) -> dict[str, Any]:
    return {"constant_score": {"filter": query, "boost": score}}


def popularity_scored(query: dict[str, Any]) -> dict[str, Any]:
    """The score times the service's popularity boost, stored beside it as the embedded engine stores it."""
    return {"function_score": {
        "query": query, "boost_mode": "multiply",
        "functions": [{"field_value_factor": {"field": "popularity_boost", "missing": 1}}]}}


class QueryBuilder:
    """One search's request bodies, against one snapshot of term statistics; collects its corrections."""

    def __init__(self, stats: TermStatistics) -> None:
        self._stats = stats
        self.corrections: dict[str, str] = {}

    def _field(self, name: str, value: str, weight: float) -> dict[str, Any]:
        if name in FLAT_FIELDS:
            return _constant({"term": {name: value}}, self._stats.flat(name, value, weight))
        return _term(name, value, weight)

    def _fields(self, value: str, weights: dict[str, float], boost: float = 1.0) -> dict[str, Any]:
        dis_max: dict[str, Any] = {"queries": [self._field(n, value, w) for n, w in weights.items()],
                                   "tie_breaker": TIE_BREAKER}
        return {"dis_max": dis_max | ({"boost": boost} if boost != 1.0 else {})}

    def _all_of(self, terms: tuple[str, ...]) -> dict[str, Any]:
        if len(terms) == 1:
            return self._fields(terms[0], FIELD_WEIGHTS)
        return {"bool": {"must": [self._fields(t, FIELD_WEIGHTS) for t in terms]}}

    @staticmethod
    def _forgiving(miss: NearMiss) -> dict[str, Any]:
        near = {"value": miss.term, "fuzziness": miss.distance, "transpositions": True, "prefix_length": 0,
                "max_expansions": MAX_EXPANSIONS}
        return {"dis_max": {"queries": [
            _constant(query, weight * FUZZY_WEIGHT * LUCENE_SCALE)
            for name, weight in FIELD_WEIGHTS.items()
            for query in ({"fuzzy": {name: near}}, {"prefix": {name: {"value": miss.term}}})]}}

    def understood(self, plan: QueryPlan) -> list[dict[str, Any]]:
        concepts = [{"dis_max": {"queries": [_constant({"term": {name: c}}, self._stats.flat(name, c, weight))
                                             for name, weight in CONCEPT_WEIGHTS.items()]}} for c in plan.concepts]
        return concepts + [_constant({"term": {"intents": i}}, self._stats.flat("intents", i, INTENT_WEIGHT))
                           for i in plan.intents]

    def text(self, plan: QueryPlan) -> list[dict[str, Any]]:
        """Any clause may match; each scores by its best alternative."""
        clauses: list[dict[str, Any]] = []
        for clause in plan.clauses:
            options = [self._all_of(a.terms) for a in clause.alternatives]
            miss = near_miss(clause, plan, self._stats.terms.__contains__, self._stats.vocabulary)
            if miss is not None:
                options.append(self._forgiving(miss))
                if miss.correction and miss.corrected:
                    self.corrections[clause.typed.text] = miss.correction
                    options.append(self._fields(miss.corrected, FIELD_WEIGHTS, CORRECTION_WEIGHT))
            clauses.append(options[0] if len(options) == 1 else {"dis_max": {"queries": options}})
        return clauses + self.understood(plan)

    @staticmethod
    def _filters(plan: QueryPlan | None = None) -> list[dict[str, Any]]:
        wanted = [(f, v) for name, f in FACET_FIELDS.items() if plan and (v := getattr(plan.query, name))]
        return [{"term": {"retired": False}}, *({"term": {f: v}} for f, v in wanted)]

    def search(self, plan: QueryPlan) -> dict[str, Any]:
        """A page of services, the facets of all that match, sorted as the embedded engine sorts them."""
        if plan.is_blank:
            # Every service scores alike before popularity, so a blank filtered query lists the most used first.
            matching: dict[str, Any] = {"bool": {"must": [{"match_all": {"boost": LUCENE_SCALE}}],
                                                 "filter": self._filters(plan)}}
        else:
            matching = {"bool": {"should": self.text(plan), "minimum_should_match": 1, "filter": self._filters(plan)}}
        return {
            "query": popularity_scored(matching), "from": plan.query.offset, "size": plan.query.page_size,
            "track_total_hits": True, "sort": SORT, "_source": ["source"],
            "aggs": {name: {"terms": {"field": f, "size": 1000}} for name, f in FACET_FIELDS.items()},
        }

    def completion(self, plan: PrefixPlan, limit: int) -> dict[str, Any]:
        """A title or keyword word starts with the last word typed; the words before it all match."""
        completing = {"dis_max": {"queries": [_term(name, prefix, weight) for name, weight in SUGGEST_WEIGHTS.items()
                                              for prefix in plan.prefixes]}}
        leading = [self._fields(t, LEADING_WEIGHTS) for t in plan.leading]
        matching = {"bool": {"must": [completing, *leading], "filter": self._filters()}}
        return {"query": popularity_scored(matching), "size": limit, "sort": SORT,
                "_source": ["source"]}
