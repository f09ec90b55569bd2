"""What a citizen asked for, planned once for either engine: the words, their terms and their synonyms."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from services.search.domain.analysis import analyse, normalise, prefix_forms, term, words, written_words
from services.search.domain.understanding import Lexicon, Understanding, understand

Lang = Literal["ar", "en"]

PAGE_SIZE = 20
# Deep pages are bounded the same way in both engines: OpenSearch answers at most index.max_result_window
# (10,000) hits past the first, so the last page a citizen may ask for is the 500th.
MAX_RESULT_WINDOW = 10_000
MAX_PAGE = MAX_RESULT_WINDOW // PAGE_SIZE
SUGGESTIONS = 8
MAX_QUERY_LENGTH = 200
# How far a misspelt term may be from a real one: none for two letters, one edit up to five, then two.
FUZZY_FROM, TWO_EDITS_FROM = 3, 6


def edits_allowed(word: str) -> int:
    return 0 if len(word) < FUZZY_FROM else 1 if len(word) < TWO_EDITS_FROM else 2


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    lang: Lang = "ar"
    ministry: str | None = None
    life_event: str | None = None
    maturity: str | None = None
    page: int = 1
    page_size: int = PAGE_SIZE
    # The citizen's session, when the client names one: the same session is answered in the same order.
    session: str = ""

    @property
    def is_blank(self) -> bool:
        return not self.text.strip()

    @property
    def has_filters(self) -> bool:
        return bool(self.ministry or self.life_event or self.maturity)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


@dataclass(frozen=True)
class SynonymSet:
    """Phrases staff declared to mean the same; a query with any of them also looks for the others."""

    id: int
    lang: Lang
    phrases: tuple[str, ...]


@dataclass(frozen=True)
class Alternative:
    """One way to satisfy part of a query: all of its terms. `text` is the same, normalised, for engines
    that analyse text themselves."""

    terms: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class Clause:
    """A run of the typed words: what was typed first, then every synonym that may stand for it."""

    alternatives: tuple[Alternative, ...]

    @property
    def typed(self) -> Alternative:
        return self.alternatives[0]

    @property
    def has_synonyms(self) -> bool:
        return len(self.alternatives) > 1


@dataclass(frozen=True)
class Word:
    """A typed word: as written (for a "did you mean"), normalised, and its term (None for little words)."""

    written: str
    normalised: str
    term: str | None


@dataclass(frozen=True)
class QueryPlan:
    query: SearchQuery
    words: tuple[Word, ...]
    clauses: tuple[Clause, ...]
    # None when understanding is off: the words as typed, stemmed, and nothing more.
    understanding: Understanding | None = None

    @property
    def concepts(self) -> tuple[str, ...]:
        return self.understanding.concepts if self.understanding else ()

    @property
    def intents(self) -> tuple[str, ...]:
        return self.understanding.intents if self.understanding else ()

    @property
    def is_blank(self) -> bool:
        return not self.clauses and not self.concepts and not self.intents

    def understood(self, term_text: str) -> bool:
        """Whether a term was read as (part of) a concept: then it is meant as typed, not a misspelling."""
        return self.understanding is not None and term_text in self.understanding.marks

    @property
    def terms(self) -> frozenset[str]:
        return frozenset(t for clause in self.clauses for alternative in clause.alternatives for t in alternative.terms)


class SynonymIndex:
    """The synonym sets keyed by the terms of each phrase, so a query finds them by its own terms."""

    def __init__(self, sets: Iterable[SynonymSet] = ()) -> None:
        self._by_terms: dict[tuple[str, ...], list[tuple[tuple[str, ...], str]]] = {}
        for synonym_set in sets:
            phrases = {tuple(analyse(p)): " ".join(words(p)) for p in synonym_set.phrases}
            phrases.pop((), None)
            for terms in phrases:
                others = [(other, text) for other, text in phrases.items() if other != terms]
                self._by_terms.setdefault(terms, []).extend(others)
        self.longest = max((len(terms) for terms in self._by_terms), default=0)

    def expansions(self, terms: tuple[str, ...]) -> list[tuple[tuple[str, ...], str]]:
        return list(dict.fromkeys(self._by_terms.get(terms, [])))


def plan_query(query: SearchQuery, synonyms: SynonymIndex, lexicon: Lexicon | None = None) -> QueryPlan:
    """Typed words become clauses; a run of them that is a synonym phrase gains its synonyms as alternatives.
    With a lexicon, the words are first understood: rewritten, and read for concepts and intents."""
    typed = [Word(w, normalised, term(normalised)) for w in written_words(query.text) if (normalised := normalise(w))]
    understanding = understand([w.normalised for w in typed], query.text, lexicon) if lexicon else None
    if understanding is None:
        searched = [w for w in typed if w.term]
    else:
        searched = [Word(w, w, found) for w in understanding.searched if (found := term(w))]
    clauses: list[Clause] = []
    start = 0
    while start < len(searched):
        clause = _longest_synonym(searched, start, synonyms)
        if clause is None:
            word = searched[start]
            clause = (Clause((Alternative((word.term or "",), word.normalised),)), 1)
        clauses.append(clause[0])
        start += clause[1]
    return QueryPlan(query, tuple(typed), tuple(clauses), understanding)


def _longest_synonym(searched: Sequence[Word], start: int, synonyms: SynonymIndex) -> tuple[Clause, int] | None:
    for length in range(min(synonyms.longest, len(searched) - start), 0, -1):
        run = searched[start:start + length]
        terms = tuple(w.term or "" for w in run)
        expansions = synonyms.expansions(terms)
        if expansions:
            typed = Alternative(terms, " ".join(w.normalised for w in run))
            others = tuple(Alternative(t, text) for t, text in expansions)
            return Clause((typed, *others)), length
    return None


@dataclass(frozen=True)
class PrefixPlan:
    """A half-typed query: the finished words must all match, the last one is completed."""

    leading: tuple[str, ...]
    prefixes: tuple[str, ...]
    # The finished words, normalised, for engines that analyse text themselves.
    leading_text: str = ""

    @property
    def is_blank(self) -> bool:
        return not self.prefixes


def plan_prefix(text: str) -> PrefixPlan:
    typed = words(text)
    if not typed:
        return PrefixPlan((), ())
    finished = " ".join(typed[:-1])
    return PrefixPlan(tuple(analyse(finished)), tuple(sorted(prefix_forms(typed[-1]))), finished)
