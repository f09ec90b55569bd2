"""Query understanding: what a citizen means, before and around either engine. Pure, no I/O.

A query is rewritten word by word (colloquial Arabic to standard, Arabizi to Arabic, filler dropped),
then read for concepts of the reviewed lexicon (life events, documents, people, places, actions).
Services are tagged with the same concepts when they are indexed, from their own text, so a service
published tomorrow that says "فقدان" is found by "lost" without anyone touching the lexicon.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from services.search.domain.analysis import STOPWORDS, analyse, is_arabic, normalise, term
from services.search.domain.understanding.arabizi import ARTICLE, MIN_SKELETON, is_candidate, skeleton
from services.search.domain.understanding.colloquial import standard_form
from services.search.domain.understanding.intent import intents_of, subjects_of
from services.search.domain.understanding.lexicon import Concept, Lexicon

__all__ = [
    "CONCEPT_WEIGHTS", "INTENT_WEIGHT", "Concept", "Lexicon", "Rewrite", "Tags", "Understanding", "tag_service",
    "understand",
]

# How much a concept the query and a service share counts, by where the service holds it, and how much
# a shared intent counts. A title word counts 3 (engines' FIELD_WEIGHTS); a concept is worth about a
# keyword, so a service that says the same thing in other words ranks beside one that uses the query's.
CONCEPT_WEIGHTS = {"concepts": 2.5, "body_concepts": 0.6}
INTENT_WEIGHT = 2.5
# A tracking number (ROP-2026-000042-8) is searched as typed: no part of it is Arabizi or filler.
TRACKING_NUMBER = re.compile(r"\b[A-Za-z][A-Za-z0-9]{1,15}-\d{4}-\d{6,}-[0-9A-Za-z]\b|\b[A-Za-z]{2,6}(?:-\d+){2,}\b")
MAX_DESCRIBED = 400


@dataclass(frozen=True)
class Rewrite:
    typed: str
    became: tuple[str, ...]
    how: str  # "colloquial", "filler" or "arabizi"

    def describe(self) -> str:
        return f"{self.typed}→{' '.join(self.became) or '∅'}"


@dataclass(frozen=True)
class Understanding:
    """The words to search (rewritten, normalised), the concepts and intents read from them, how."""

    searched: tuple[str, ...]
    concepts: tuple[str, ...] = ()
    intents: tuple[str, ...] = ()
    rewrites: tuple[Rewrite, ...] = ()
    labels: dict[str, tuple[str, str]] = field(default_factory=dict)
    # The terms of the matched concepts' phrases (a title word among them is marked in the highlight) and
    # of Latin-letter words read as Arabic: none of them is a misspelling to look for near misses of.
    marks: frozenset[str] = frozenset()

    @property
    def changed(self) -> bool:
        return bool(self.rewrites or self.concepts or self.intents)

    def label(self, concept: str, lang: str) -> str:
        ar, en = self.labels.get(concept, (concept, concept))
        return ar if lang == "ar" else en

    def describe(self) -> str | None:
        """For staff, beside the query: each rewrite, then the concepts and intents read."""
        if not self.changed:
            return None
        parts = [" ".join(r.describe() for r in self.rewrites)] if self.rewrites else []
        parts += [f"concepts: {', '.join(self.concepts)}"] if self.concepts else []
        parts += [f"intent: {', '.join(self.intents)}"] if self.intents else []
        return " | ".join(parts)[:MAX_DESCRIBED]


def _protected(text: str) -> frozenset[str]:
    return frozenset(normalise(part) for found in TRACKING_NUMBER.findall(text) for part in re.split(r"\W+", found))


def _arabic_for(word: str, lexicon: Lexicon) -> str | None:
    if word in lexicon.english or word in STOPWORDS or term(word) in lexicon.terms:
        return None
    for form in (word, *(word[len(a):] for a in ARTICLE if word.startswith(a) and len(word) > len(a) + 2)):
        if form in lexicon.arabizi:
            return lexicon.arabizi[form]
        key = skeleton(form)
        if len(key) >= MIN_SKELETON and key in lexicon.arabizi_skeletons:
            return lexicon.arabizi_skeletons[key]
    return None


def understand(typed: Sequence[str], text: str, lexicon: Lexicon) -> Understanding:
    """Rewrite the normalised typed words, then read the concepts of the rewritten and the typed text."""
    protected = _protected(text)
    searched: list[str] = []
    arabic: list[str] = []
    as_typed: list[str] = []
    rewrites: list[Rewrite] = []
    for word in typed:
        became: tuple[str, ...] | None = None
        how = "colloquial"
        if word in protected or word.isdigit():
            became = None
        elif word in ARTICLE:
            became = ()
        elif is_arabic(word) or word in lexicon.fillers or word in lexicon.colloquial:
            became = standard_form(word, lexicon)
        elif is_candidate(word) and (converted := _arabic_for(word, lexicon)):
            became, how = (word, converted), "arabizi"
        if became is None:
            searched.append(word)
            arabic.append(word)
            as_typed.append(word)
            continue
        if how == "arabizi":
            rewrites.append(Rewrite(word, became[1:], how))
            searched += became
            arabic.append(became[1])
            as_typed.append(word)
            continue
        rewrites.append(Rewrite(word, became, how if became else "filler"))
        searched += became
        arabic += became
        as_typed += became
    found = lexicon.find(analyse(" ".join(arabic))) | lexicon.find(analyse(" ".join(as_typed)))
    concepts, intents = subjects_of(found, lexicon), intents_of(found, lexicon)
    labels = {c: (lexicon.concepts[c].label_ar, lexicon.concepts[c].label_en) for c in found}
    transliterated = {t for r in rewrites if r.how == "arabizi" for t in analyse(r.typed)}
    return Understanding(tuple(searched), concepts, intents, tuple(rewrites), labels,
                         lexicon.phrase_terms(found) | transliterated)


@dataclass(frozen=True)
class Tags:
    """The concepts a service's own text holds: in its title or keywords, in its description, and the
    intents of its title."""

    concepts: tuple[str, ...] = ()
    body_concepts: tuple[str, ...] = ()
    intents: tuple[str, ...] = ()


def tag_service(titles: Sequence[str], keywords: Sequence[str], descriptions: Sequence[str],
                lexicon: Lexicon) -> Tags:
    in_title = lexicon.find_in(titles)
    strong = set(subjects_of(in_title | lexicon.find_in(keywords), lexicon))
    body = set(subjects_of(lexicon.find_in(descriptions), lexicon)) - strong
    return Tags(tuple(sorted(strong)), tuple(sorted(body)), intents_of(in_title, lexicon))
