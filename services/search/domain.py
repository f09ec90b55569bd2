"""Search rules: how Arabic and English text becomes terms, how a service scores for a query, and facets.

One analyser serves both sides: documents are analysed with it when they are indexed and queries when
they are run, so a citizen who types without hamza or diacritics meets the same terms the index holds.
"""

import html
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from shared.contracts.base import Bilingual
from shared.contracts.catalog import ServiceRecord

Lang = Literal["ar", "en"]

PAGE_SIZE = 20
SUGGESTIONS = 8
MAX_QUERY_LENGTH = 200
MIN_PREFIX = 3
TITLE_WEIGHT, KEYWORD_WEIGHT, DESCRIPTION_WEIGHT = 3.0, 2.0, 1.0

# U+064B–U+065F also covers the combining hamza and maddah (U+0653–U+0655) that NFKC leaves
# unattached when they follow a letter they cannot compose with.
_MARKS = re.compile("[\u064b-\u065f\u0670\u0640]")
_FOLDS = str.maketrans({
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا",
    "ة": "ه", "ى": "ي", "ؤ": "و", "ئ": "ي",
    # Persian yeh and keheh look identical to ي and ك and come from some keyboards.
    "ی": "ي", "ک": "ك",
    **{chr(0x0660 + digit): str(digit) for digit in range(10)},
    **{chr(0x06F0 + digit): str(digit) for digit in range(10)},
    # Dropped rather than split on, so "citizen's" stays one word.
    "'": None, "’": None,
})
_WORD = re.compile(r"[^\W_]+")
# A word as written, diacritics and apostrophes included, so a highlight marks the whole of it.
_WRITTEN_WORD = re.compile("(?:[^\\W_]|[\u064b-\u065f\u0670\u0640'’])+")

# Longest first: وال must win over ال. ل + ال is spelt لل.
_ARABIC_PREFIXES = ("وال", "فال", "بال", "كال", "لل", "ال")
# Normalised forms. Without them "the" or "في" in a query would make nearly every service a hit.
_STOPWORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "how", "in", "is", "my", "of", "on",
    "or", "the", "to", "with", "you", "your",
    "في", "من", "الي", "علي", "عن", "او", "مع", "ان", "هذا", "هذه", "التي", "الذي",
})
_VOWELS = frozenset("aeiouy")


def normalise(text: str) -> str:
    """Fold the spellings a citizen may use for one word into one: hamza, diacritics, digits, case."""
    text = unicodedata.normalize("NFKC", text)
    return _MARKS.sub("", text.translate(_FOLDS)).casefold()


def _is_arabic(word: str) -> bool:
    return "\u0600" <= word[0] <= "\u06ff"


def strip_arabic_prefix(word: str) -> str:
    for prefix in _ARABIC_PREFIXES:
        if word.startswith(prefix):
            rest = word[len(prefix):]
            return rest if len(rest) >= 2 else word
    return word


def stem_english(word: str) -> str:
    """A deliberately light stemmer: plurals and -ing/-ed, enough that "licences" finds "licence"."""
    if len(word) <= 3:
        return word
    if word.endswith(("ies", "ied")) and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s"):
        return word if word.endswith(("ss", "us", "is")) else word[:-1]
    for suffix in ("ing", "ed"):
        stem = word[:-len(suffix)]
        if word.endswith(suffix) and len(stem) >= 3 and not stem.endswith("e") and _VOWELS & set(stem):
            return _restore(stem)
    return word


def _restore(stem: str) -> str:
    """Undo the spelling changes -ing and -ed make: "permitted" → "permit", "issuing" → "issue"."""
    last = stem[-1]
    if len(stem) >= 4 and last == stem[-2] and last not in _VOWELS and last not in "lsz":
        return stem[:-1]
    if last in "cvzu" or stem.endswith("at") or (last == "s" and not stem.endswith("ss")):
        return stem + "e"
    return stem


def _term(word: str) -> str | None:
    if word in _STOPWORDS:
        return None
    if _is_arabic(word):
        word = strip_arabic_prefix(word)
    elif word.isascii() and word.isalpha():
        word = stem_english(word)
    return word if len(word) >= 2 or word.isdigit() else None


def analyse(text: str) -> list[str]:
    """The terms of a text, in order: normalised, split on anything but letters and digits, stemmed."""
    return [term for word in _WORD.findall(normalise(text)) if (term := _term(word))]


def _terms(*texts: str) -> frozenset[str]:
    return frozenset(term for text in texts for term in analyse(text))


@dataclass(frozen=True)
class Document:
    """One service as the index holds it; the *_terms are what queries are matched against."""

    slug: str
    ministry: str
    ministry_name: Bilingual
    title: Bilingual
    description: Bilingual
    keywords: tuple[str, ...]
    maturity: str
    life_events: tuple[str, ...]
    version: int
    title_terms: frozenset[str]
    keyword_terms: frozenset[str]
    description_terms: frozenset[str]


def build_document(record: ServiceRecord) -> Document:
    # Synonyms are the words citizens type; they count as keywords, whatever their language.
    keywords = tuple(dict.fromkeys([*record.keywords, *record.synonyms.ar, *record.synonyms.en]))
    return Document(
        slug=record.slug, ministry=record.ministry, ministry_name=record.ministry_name, title=record.title,
        description=record.description, keywords=keywords, maturity=record.maturity,
        life_events=tuple(record.life_events), version=record.version,
        title_terms=_terms(record.title.ar, record.title.en),
        keyword_terms=_terms(*keywords),
        description_terms=_terms(record.description.ar, record.description.en),
    )


def is_newer(version: int, indexed_version: int | None) -> bool:
    """Catalogue versions only grow, so anything not above what the index holds is late or repeated."""
    return indexed_version is None or version > indexed_version


def _match(term: str, field: frozenset[str]) -> float:
    """1 for the same word, ½ for a query word that begins a longer one, 0 otherwise."""
    if term in field:
        return 1.0
    if len(term) >= MIN_PREFIX and any(candidate.startswith(term) for candidate in field):
        return 0.5
    return 0.0


def score(terms: Iterable[str], document: Document) -> float:
    fields = ((TITLE_WEIGHT, document.title_terms), (KEYWORD_WEIGHT, document.keyword_terms),
              (DESCRIPTION_WEIGHT, document.description_terms))
    return sum(weight * _match(term, field) for term in set(terms) for weight, field in fields)


def highlight(text: str, terms: Iterable[str]) -> str:
    """The text, HTML-escaped, with every word that a query term matches wrapped in <mark>."""
    wanted = set(terms)
    parts: list[str] = []
    end = 0
    for word in _WRITTEN_WORD.finditer(text):
        parts.append(html.escape(text[end:word.start()]))
        escaped = html.escape(word.group())
        written = frozenset(analyse(word.group()))
        matched = any(_match(term, written) for term in wanted)
        parts.append(f"<mark>{escaped}</mark>" if matched else escaped)
        end = word.end()
    parts.append(html.escape(text[end:]))
    return "".join(parts)


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    lang: Lang = "ar"
    ministry: str | None = None
    life_event: str | None = None
    maturity: str | None = None
    page: int = 1
    page_size: int = PAGE_SIZE

    @property
    def is_blank(self) -> bool:
        return not self.text.strip()

    @property
    def has_filters(self) -> bool:
        return bool(self.ministry or self.life_event or self.maturity)

    def admits(self, document: Document) -> bool:
        return ((not self.ministry or document.ministry == self.ministry)
                and (not self.life_event or self.life_event in document.life_events)
                and (not self.maturity or document.maturity == self.maturity))


@dataclass(frozen=True)
class Hit:
    document: Document
    score: float
    highlight: str


@dataclass(frozen=True)
class Facets:
    ministry: dict[str, int]
    life_event: dict[str, int]
    maturity: dict[str, int]


@dataclass(frozen=True)
class SearchResults:
    total: int
    hits: list[Hit]
    facets: Facets


def _counts(values: Iterable[str]) -> dict[str, int]:
    return dict(sorted(Counter(values).items()))


def facets(documents: Sequence[Document]) -> Facets:
    return Facets(ministry=_counts(d.ministry for d in documents),
                  life_event=_counts(event for d in documents for event in set(d.life_events)),
                  maturity=_counts(d.maturity for d in documents))


def run_search(documents: Iterable[Document], query: SearchQuery) -> SearchResults:
    """Filter, score, rank (score, then slug) and page. A blank query browses the filtered services."""
    admitted = [d for d in documents if query.admits(d)]
    terms = analyse(query.text)
    if query.is_blank:
        scored = [(d, 0.0) for d in admitted]
    else:
        scored = [(d, s) for d in admitted if (s := score(terms, d)) > 0]
    scored.sort(key=lambda pair: (-pair[1], pair[0].slug))
    start = (query.page - 1) * query.page_size
    hits = [Hit(d, s, highlight(d.title.ar if query.lang == "ar" else d.title.en, terms))
            for d, s in scored[start:start + query.page_size]]
    return SearchResults(total=len(scored), hits=hits, facets=facets([d for d, _ in scored]))


def _prefix_forms(word: str) -> set[str]:
    """What a half-typed last word may begin: as typed, and without the article or suffix the index drops."""
    forms = {word}
    if _is_arabic(word):
        for prefix in _ARABIC_PREFIXES:
            if word.startswith(prefix) and len(word) > len(prefix):
                forms.add(word[len(prefix):])
                break
    elif word.isascii() and word.isalpha():
        forms.add(stem_english(word))
    return forms


def suggest(documents: Iterable[Document], text: str, limit: int = SUGGESTIONS) -> list[Document]:
    """Services whose title has a word starting with the last word typed, and the earlier words too."""
    words = _WORD.findall(normalise(text))
    if not words:
        return []
    leading = analyse(" ".join(words[:-1]))
    prefixes = _prefix_forms(words[-1])
    found = [d for d in documents
             if all(_match(term, d.title_terms) for term in leading)
             and any(term.startswith(prefix) for term in d.title_terms for prefix in prefixes)]
    return sorted(found, key=lambda d: d.slug)[:limit]
