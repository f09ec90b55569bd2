"""What a search answers: ranked hits with their marked titles, facet counts and a "did you mean"."""

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from services.search.domain.analysis import WRITTEN_WORD, analyse
from services.search.domain.documents import IndexedService
from services.search.domain.queries import QueryPlan

MIN_PREFIX = 3
FACETS = ("ministry", "life_event", "maturity")


@dataclass(frozen=True)
class Hit:
    service: IndexedService
    score: float
    highlight: str


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


def highlight(text: str, terms: Iterable[str]) -> str:
    """The text, HTML-escaped, with every word that a query term matches wrapped in <mark>: the same term,
    or one that a query term of three letters or more begins."""
    wanted = frozenset(terms)
    beginnings = tuple(w for w in wanted if len(w) >= MIN_PREFIX)
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


def hits(found: Sequence[tuple[float, IndexedService]], plan: QueryPlan, extra_terms: Iterable[str] = ()
         ) -> list[Hit]:
    """Each service found with its score, and its title marked where a query term (or a correction) matched."""
    wanted = plan.terms | frozenset(extra_terms)
    return [Hit(service, round(score, 4), highlight(title_in(service, plan.query.lang), wanted))
            for score, service in found]


def did_you_mean(plan: QueryPlan, corrections: Mapping[str, str]) -> str | None:
    """The query as typed with each misspelt word (by its normalised form) replaced by its correction."""
    if not corrections:
        return None
    return " ".join(corrections.get(word.normalised, word.written) for word in plan.words)
