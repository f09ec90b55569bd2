"""The reviewed government-domain lexicon, ready to look things up in (read from its file by
services/search/lexicon.py: the domain does no I/O).

Every phrase is keyed by its analysed terms, so a query and a service's text meet a concept through the
same analyser that meets them to each other: "passed away", "توفي" and "الوفاة" all reach `death`.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from services.search.domain.analysis import analyse, is_arabic, normalise, words
from services.search.domain.understanding.arabizi import MIN_SKELETON, skeleton

# One letter glued to the front of an Arabic word: and, with/by, for, so, like.
PROCLITICS = ("و", "ب", "ل", "ف", "ك")
_MIN_REST = 3
# Actions say what the citizen wants done (renew, replace, pay…): the kind of service, not its subject.
ACTION = "action"


@dataclass(frozen=True)
class Concept:
    id: str
    kind: str
    label_ar: str
    label_en: str
    phrases: tuple[str, ...]

    @property
    def is_action(self) -> bool:
        return self.kind == ACTION

    def label(self, lang: str) -> str:
        return self.label_ar if lang == "ar" else self.label_en


class Lexicon:
    """Concepts by the terms of their phrases, colloquial forms by their normalised spelling, and
    Latin-letter spellings of Arabic words."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.concepts: dict[str, Concept] = {}
        self._phrases: dict[tuple[str, ...], set[str]] = {}
        for entry in data.get("concepts", ()):
            phrases = (*entry.get("ar", ()), *entry.get("en", ()))
            concept = Concept(entry["id"], entry["kind"], entry["label"]["ar"], entry["label"]["en"], tuple(phrases))
            self.concepts[concept.id] = concept
            for phrase in phrases:
                terms = tuple(analyse(phrase))
                if terms:
                    self._phrases.setdefault(terms, set()).add(concept.id)
        self._terms_of: dict[str, frozenset[str]] = {}
        for terms, ids in self._phrases.items():
            for concept_id in ids:
                self._terms_of[concept_id] = self._terms_of.get(concept_id, frozenset()) | set(terms)
        self.longest = max((len(terms) for terms in self._phrases), default=0)
        self.terms = frozenset(t for terms in self._phrases for t in terms)
        fillers = data.get("fillers", {})
        self.fillers = frozenset(normalise(w) for lang in ("ar", "en") for w in fillers.get(lang, ()))
        self.colloquial = {normalise(form): tuple(words(standard))
                           for form, standard in data.get("colloquial", {}).items()}
        self.arabizi = {spelling.casefold(): normalise(arabic) for spelling, arabic in data.get("arabizi", {}).items()
                        if arabic.strip()}
        self.arabizi_skeletons: dict[str, str] = {}
        for spelling, arabic in self.arabizi.items():
            if len(key := skeleton(spelling)) >= MIN_SKELETON:
                self.arabizi_skeletons.setdefault(key, arabic)
        self.english = frozenset(w for c in self.concepts.values() for p in c.phrases if not is_arabic(p)
                                 for w in words(p))

    def phrase_terms(self, concept_ids: Iterable[str]) -> frozenset[str]:
        """Every term of every phrase of these concepts: what marks a title word as the concept's."""
        return frozenset(t for c in concept_ids for t in self._terms_of.get(c, ()))

    def _known_form(self, term: str) -> str:
        """The term, or, when the lexicon does not know it but knows it without a glued-on preposition or
        conjunction (لرخصة, وبطاقة: the analyser strips only the article's), that."""
        if term in self.terms or not term.startswith(PROCLITICS) or len(term) <= _MIN_REST:
            return term
        return term[1:] if term[1:] in self.terms else term

    def find(self, terms: Sequence[str]) -> set[str]:
        """The concepts of every run of terms that is one of their phrases (runs may overlap)."""
        terms = [self._known_form(t) for t in terms]
        found: set[str] = set()
        for start in range(len(terms)):
            for end in range(start + 1, min(start + self.longest, len(terms)) + 1):
                found |= self._phrases.get(tuple(terms[start:end]), set())
        return found

    def find_in(self, texts: Iterable[str]) -> set[str]:
        return {c for text in texts for c in self.find(analyse(text))}
