"""What staff curate: synonym sets, and the queries citizens run (most frequent, and finding nothing)."""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from services.search.domain.analysis import analyse, is_arabic, words
from services.search.domain.errors import Invalid
from services.search.domain.personal_names import looks_like_a_full_name
from services.search.domain.queries import MAX_QUERY_LENGTH, Lang
from services.search.domain.understanding import Lexicon, understand

MIN_PHRASES, MAX_PHRASES, MAX_PHRASE_LENGTH = 2, 20, 80
# This many digits together may be a civil number, a phone or a tracking number: such a query is never kept.
IDENTIFYING_DIGITS = 5


def synonym_phrases(lang: Lang, phrases: Sequence[str]) -> tuple[str, ...]:
    """The phrases of a new synonym set, trimmed and de-duplicated; refused when they cannot work."""
    kept = tuple(dict.fromkeys(" ".join(p.split()) for p in phrases if p.strip()))
    if not MIN_PHRASES <= len(kept) <= MAX_PHRASES:
        raise Invalid("synonyms-count", f"A synonym set has {MIN_PHRASES} to {MAX_PHRASES} different phrases.")
    for phrase in kept:
        if len(phrase) > MAX_PHRASE_LENGTH:
            raise Invalid("synonym-too-long", f"A phrase has at most {MAX_PHRASE_LENGTH} characters.")
        if not analyse(phrase):
            raise Invalid("synonym-empty", f"“{phrase}” has no word that search looks for.")
        if any(word.isalpha() and is_arabic(word) != (lang == "ar") for word in words(phrase)):
            raise Invalid("synonym-language", f"“{phrase}” is not written in the set's language ({lang}).")
    if len({tuple(analyse(p)) for p in kept}) < MIN_PHRASES:
        raise Invalid("synonyms-same", "These phrases are already the same to search: nothing to add.")
    return kept


# Digits however they are spaced or punctuated (+968 9123 4567, 99-88-77-66, (968) 2460 0000), in any script.
_DIGIT_RUN = re.compile(r"\d(?:[\s\-.()/+]*\d)*")
_EMAIL_LIKE = re.compile(r"[^\s@]\s*@\s*[^\s@]")


def could_identify_a_person(text: str) -> bool:
    """An e-mail address, a run of IDENTIFYING_DIGITS digits or more (a phone, a civil or tracking number), or
    a person's full name."""
    return bool(_EMAIL_LIKE.search(text)) or any(
        sum(ch.isdigit() for ch in run.group()) >= IDENTIFYING_DIGITS for run in _DIGIT_RUN.finditer(text)
    ) or looks_like_a_full_name(text)


def loggable_query(text: str) -> str | None:
    """The query as staff may see it, normalised; a query that could identify or reach a person is not kept."""
    if could_identify_a_person(text):
        return None
    query = " ".join(words(text))[:MAX_QUERY_LENGTH].strip()
    return query or None


@dataclass
class QueryCount:
    searches: int = 0
    without_results: int = 0
    # How understanding rewrote the query (see Understanding.describe); None when it changed nothing.
    rewritten: str | None = None


def rewritten_query(query: str, lexicon: Lexicon) -> str | None:
    """How a loggable query is understood, for staff growing the lexicon: built from the loggable words
    only, so it holds nothing the query log may not."""
    return understand(query.split(), query, lexicon).describe()


class QueryTally:
    """Counts queries in memory between flushes; bounded, so a flood of distinct queries cannot grow it."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._counts: dict[str, QueryCount] = {}
        self.dropped = 0

    def record(self, text: str, total: int, lexicon: Lexicon | None = None) -> None:
        query = loggable_query(text)
        if query is None:
            return
        count = self._counts.get(query)
        if count is None:
            if len(self._counts) >= self._limit:
                self.dropped += 1
                return
            count = self._counts[query] = QueryCount(
                rewritten=rewritten_query(query, lexicon) if lexicon else None)
        count.searches += 1
        count.without_results += 1 if total == 0 else 0

    def take(self) -> dict[str, QueryCount]:
        taken, self._counts = self._counts, {}
        return taken
