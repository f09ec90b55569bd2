"""What a search answers: ranked hits with their marked titles, facet counts and a "did you mean"."""

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from services.search.domain.analysis import WRITTEN_WORD, analyse, written_words
from services.search.domain.documents import IndexedService
from services.search.domain.queries import QueryPlan

MIN_PREFIX = 3
FACETS = ("ministry", "life_event", "maturity")


@dataclass(frozen=True)
class Reason:
    """Why a service matched: a concept or intent the query and the service share, or words of the query."""

    kind: str  # "intent", "concept" or "words"
    value: str
    label: str


@dataclass(frozen=True)
class Hit:
    service: IndexedService
    score: float
    highlight: str
    why: tuple[Reason, ...] = ()


@dataclass(frozen=True)
class Facets:
    ministry: dict[str, int] = field(default_factory=dict)
    life_event: dict[str, int] = field(default_factory=dict)
    maturity: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class SearchResults:
    total: int
    hits: list[Hit]
    facets: Facets
    suggestion: str | None = None


def facet_counts(counts: Mapping[str, int]) -> dict[str, int]:
    return dict(sorted((key, count) for key, count in counts.items() if count > 0))


@lru_cache(maxsize=65_536)
def _terms_of(word: str) -> tuple[str, ...]:
    # Titles repeat the same few thousand words, so each is analysed once, not on every hit.
    return tuple(analyse(word))


def highlight(text: str, terms: Iterable[str], also: frozenset[str] = frozenset()) -> str:
    """The text, HTML-escaped, with every word that a query term matches wrapped in <mark>: the same term,
    or one that a query term of three letters or more begins; and every word that is one of `also` (the
    words of the concepts the query means)."""
    return _highlight(text, frozenset(terms), also)


@lru_cache(maxsize=16_384)
def _highlight(text: str, typed: frozenset[str], also: frozenset[str]) -> str:
    # Popular queries come back again and again with the same first page: each title is marked once.
    wanted = typed | also
    beginnings = tuple(w for w in typed if len(w) >= MIN_PREFIX)
    parts: list[str] = []
    end = 0
    for word in WRITTEN_WORD.finditer(text):
        if any(t in wanted or t.startswith(beginnings) for t in _terms_of(word.group())):
            parts += [html.escape(text[end:word.start()]), "<mark>", html.escape(word.group()), "</mark>"]
            end = word.end()
    parts.append(html.escape(text[end:]))
    return "".join(parts)


def title_in(service: IndexedService, lang: str) -> str:
    return service.title.ar if lang == "ar" else service.title.en


_TERMS_KEPT = 8192
_service_terms_cache: dict[tuple[str, int], frozenset[str]] = {}


def _service_terms(service: IndexedService) -> frozenset[str]:
    """Every term of the service's text. A catalogue version's text never changes, so the terms are kept
    by slug and version: the services on the first pages come back search after search."""
    key = (service.slug, service.version)
    found = _service_terms_cache.get(key)
    if found is None:
        if len(_service_terms_cache) >= _TERMS_KEPT:
            _service_terms_cache.clear()
        texts = (service.title.ar, service.title.en, *service.keywords, service.description.ar,
                 service.description.en)
        found = _service_terms_cache[key] = frozenset(t for text in texts for w in written_words(text)
                                                     for t in _terms_of(w))
    return found


def reasons(service: IndexedService, plan: QueryPlan) -> tuple[Reason, ...]:
    """The intents and concepts the query and the service share, then the query's words the service holds."""
    found: list[Reason] = []
    understanding, lang = plan.understanding, plan.query.lang
    if understanding is not None:
        found += [Reason("intent", i, understanding.label(i, lang)) for i in understanding.intents
                  if i in service.intents]
        held = {*service.concepts, *service.body_concepts}
        found += [Reason("concept", c, understanding.label(c, lang)) for c in understanding.concepts if c in held]
    if plan.clauses:
        terms = _service_terms(service)
        matched = {a.text: None for c in plan.clauses for a in c.alternatives if a.terms and set(a.terms) <= terms}
        found += [Reason("words", text, text) for text in matched]
    return tuple(found)


def hits(found: Sequence[tuple[float, IndexedService]], plan: QueryPlan, extra_terms: Iterable[str] = ()
         ) -> list[Hit]:
    """Each service found with its score, its title marked where a query term (a correction, or a word of a
    concept the query means) matched, and why it matched."""
    wanted = plan.terms | frozenset(extra_terms)
    meant = plan.understanding.marks if plan.understanding else frozenset()
    return [Hit(service, round(score, 4), highlight(title_in(service, plan.query.lang), wanted, meant),
                reasons(service, plan)) for score, service in found]


def did_you_mean(plan: QueryPlan, corrections: Mapping[str, str]) -> str | None:
    """The query as typed with each misspelt word (by its normalised form) replaced by its correction."""
    if not any(word.normalised in corrections for word in plan.words):
        return None
    return " ".join(corrections.get(word.normalised, word.written) for word in plan.words)
