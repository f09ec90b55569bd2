"""What the citizen typed, as tantivy queries: fields weighted, synonyms, typos and completions, filters."""

from collections.abc import Sequence

import tantivy

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
from services.search.domain.results import FACETS
from services.search.domain.spelling import Vocabulary
from services.search.domain.understanding import CONCEPT_WEIGHTS, INTENT_WEIGHT
from services.search.engines.embedded.documents import SERVICE


class QueryBuilder:
    """Builds one search's queries against one searcher; collects the corrections it made on the way."""

    def __init__(self, schema: tantivy.Schema, searcher: tantivy.Searcher, vocabulary: Vocabulary) -> None:
        self._schema, self._searcher, self._vocabulary = schema, searcher, vocabulary
        # Misspelt word (normalised) → the known word it was taken for, for a "did you mean".
        self.corrections: dict[str, str] = {}

    def _term(self, field: str, value: str) -> tantivy.Query:
        return tantivy.Query.term_query(self._schema, field, value)

    def _field(self, field: str, term_text: str, weight: float) -> tantivy.Query:
        query = self._term(field, term_text)
        if field not in FLAT_FIELDS:
            return tantivy.Query.boost_query(query, weight)
        return self._flat(field, term_text, weight)

    def _flat(self, field: str, value: str, weight: float) -> tantivy.Query:
        # One keyword among twenty counts as much as one alone; a tag scores as a keyword does.
        score = flat_score(weight, self._searcher.doc_freq(field, value), self._searcher.num_docs)
        return tantivy.Query.const_score_query(self._term(field, value), score)

    def understood(self, plan: QueryPlan) -> list[tantivy.Query]:
        """The concepts the query means, wherever a service holds them, and the intents of its title."""
        queries = [tantivy.Query.disjunction_max_query([self._flat(f, c, w) for f, w in CONCEPT_WEIGHTS.items()])
                   for c in plan.concepts]
        return queries + [self._flat("intents", i, INTENT_WEIGHT) for i in plan.intents]

    def _fields(self, term_text: str, weights: dict[str, float]) -> tantivy.Query:
        return tantivy.Query.disjunction_max_query(
            [self._field(f, term_text, w) for f, w in weights.items()], tie_breaker=TIE_BREAKER)

    def _all_of(self, terms: Sequence[str]) -> tantivy.Query:
        if len(terms) == 1:
            return self._fields(terms[0], FIELD_WEIGHTS)
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, self._fields(t, FIELD_WEIGHTS)) for t in terms])

    def _forgiving(self, miss: NearMiss) -> tantivy.Query:
        """Near misses (typos) of a term and the words it begins, in the text fields."""
        return tantivy.Query.disjunction_max_query([
            tantivy.Query.const_score_query(query, weight * FUZZY_WEIGHT)
            for field, weight in FIELD_WEIGHTS.items()
            for query in (tantivy.Query.fuzzy_term_query(self._schema, field, miss.term, distance=miss.distance),
                          tantivy.Query.fuzzy_term_query(self._schema, field, miss.term, distance=0, prefix=True))
        ])

    def _known(self, term_text: str) -> bool:
        return any(self._searcher.doc_freq(f, term_text) for f in FIELD_WEIGHTS)

    def text(self, plan: QueryPlan) -> tantivy.Query:
        """Any clause may match; each scores by its best alternative."""
        if plan.is_blank:
            # Every service scores 1 before popularity (tantivy drops a bare all-query's score beside filters).
            return tantivy.Query.const_score_query(tantivy.Query.all_query(), 1.0)
        clauses: list[tantivy.Query] = []
        for clause in plan.clauses:
            # Staff declared a set's phrases the same, so each counts as if it had been typed.
            options = [self._all_of(a.terms) for a in clause.alternatives]
            miss = near_miss(clause, plan, self._known, self._vocabulary)
            if miss is not None:
                options.append(self._forgiving(miss))
                if miss.correction and miss.corrected:
                    self.corrections[clause.typed.text] = miss.correction
                    options.append(tantivy.Query.boost_query(self._all_of([miss.corrected]), CORRECTION_WEIGHT))
            clauses.append(options[0] if len(options) == 1 else tantivy.Query.disjunction_max_query(options))
        clauses += self.understood(plan)
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, c) for c in clauses])

    def filtered(self, query: tantivy.Query, plan: QueryPlan | None = None) -> tantivy.Query:
        """Only live services (not tombstones), and only those of the chosen facets; filters add no score."""
        wanted = [("kind", SERVICE)] + [(f, v) for f in FACETS if plan and (v := getattr(plan.query, f))]
        filters = [(tantivy.Occur.Must, tantivy.Query.const_score_query(self._term(f, v), 0.0)) for f, v in wanted]
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, query), *filters])

    def completion(self, plan: PrefixPlan) -> tantivy.Query:
        """A title or keyword word starts with the last word typed; the words before it all match."""
        completing = tantivy.Query.disjunction_max_query([
            tantivy.Query.boost_query(self._term(field, prefix), weight)
            for field, weight in SUGGEST_WEIGHTS.items() for prefix in plan.prefixes])
        leading = [(tantivy.Occur.Must, self._fields(t, LEADING_WEIGHTS)) for t in plan.leading]
        return self.filtered(tantivy.Query.boolean_query([(tantivy.Occur.Must, completing), *leading]))
