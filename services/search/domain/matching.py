"""How typed words are matched, for both engines: one policy for typos and completions, flat scores and
the words a "did you mean" may offer, so OpenSearch and the embedded engine find the same services.

A term some service holds is matched as typed. A term no service holds (a typo, or a word half typed)
also matches its near misses (terms within the edits its length allows, and the terms it begins) and
the closest word services write, which becomes the "did you mean". Synonym runs and words read as a
concept are meant as typed and are never stretched.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

from services.search.domain.analysis import normalise, term
from services.search.domain.queries import Clause, QueryPlan, edits_allowed
from services.search.domain.spelling import Vocabulary

# A field's weight scales how much a match in it counts; the tie-breaker adds a share of the other fields.
FIELD_WEIGHTS = {"title": 3.0, "keywords": 2.0, "body": 1.0, "ministry_name": 0.5}
# Keywords are a list of the phrases citizens use: how many a service has says nothing of each one.
FLAT_FIELDS = frozenset({"keywords"})
TIE_BREAKER = 0.3
# A correction counts a little less than the word it corrects would.
CORRECTION_WEIGHT = 0.7
# Near misses score a constant (times the field weight): how near says little of which service is meant.
FUZZY_WEIGHT = 0.4
# Autocomplete: the last word completes a title or keyword word; the finished words must match.
SUGGEST_WEIGHTS = {"title_prefixes": 2.0, "keyword_prefixes": 1.0}
LEADING_WEIGHTS = {"title": 2.0, "keywords": 1.0}


@dataclass(frozen=True)
class NearMiss:
    """A typed term no service holds: the edits its typos may cost, and the closest known word, if any."""

    term: str
    distance: int
    correction: str | None = None
    corrected: str | None = None


def flat_score(weight: float, found_in: int, documents: int) -> float:
    """A flat field scores BM25 at average length (term frequency 1), whatever the service's length:
    the weight times the term's rarity."""
    return weight * math.log(1 + (documents - found_in + 0.5) / (found_in + 0.5))


def near_miss(clause: Clause, plan: QueryPlan, known: Callable[[str], bool], vocabulary: Vocabulary
              ) -> NearMiss | None:
    """The near misses of a clause of one typed word that no service holds; None when it is matched as typed."""
    if clause.has_synonyms or len(clause.typed.terms) != 1:
        return None
    [typed_term] = clause.typed.terms
    if plan.understood(typed_term) or not edits_allowed(clause.typed.text) or known(typed_term):
        return None
    correction = vocabulary.correct(clause.typed.text)
    corrected = term(normalise(correction)) if correction else None
    if not corrected:
        correction = None
    return NearMiss(typed_term, edits_allowed(typed_term), correction, corrected)


def corrections(plan: QueryPlan, misses: list[NearMiss | None]) -> dict[str, str]:
    """Each misspelt word (normalised, as typed) and the word services write that it was taken for."""
    return {clause.typed.text: miss.correction for clause, miss in zip(plan.clauses, misses, strict=True)
            if miss is not None and miss.correction is not None}
