"""How Arabic and English text becomes terms: one analyser for documents and queries alike.

A citizen who types without hamza or diacritics, with ه for ة or ى for ي, with Arabic-Indic digits or
with the article and a preposition glued on, must meet the same terms the index holds. Both engines'
query paths start here; the OpenSearch template is generated from the same tables (engines/opensearch_schema.py).
"""

import re
import unicodedata

# U+064B–U+065F also covers the combining hamza and maddah (U+0653–U+0655) that NFKC leaves
# unattached when they follow a letter they cannot compose with; U+0640 is the tatweel.
MARKS = "\u064b-\u065f\u0670\u0640"
_MARKS = re.compile(f"[{MARKS}]")
# Lucene's arabic_normalization folds these too; the rest reach OpenSearch through a mapping char filter.
LETTER_FOLDS = {
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا",
    "ة": "ه", "ى": "ي", "ؤ": "و", "ئ": "ي",
    # Persian yeh and keheh look identical to ي and ك and come from some keyboards.
    "ی": "ي", "ک": "ك",
}
DIGIT_FOLDS = {**{chr(0x0660 + digit): str(digit) for digit in range(10)},
               **{chr(0x06F0 + digit): str(digit) for digit in range(10)}}
# Dropped rather than split on, so "citizen's" stays one word.
DROPPED = ("'", "’")
_FOLDS = str.maketrans({**LETTER_FOLDS, **DIGIT_FOLDS, **dict.fromkeys(DROPPED)})
_WORD = re.compile(r"[^\W_]+")
# A word as written, diacritics and apostrophes included, so a highlight marks the whole of it.
WRITTEN_WORD = re.compile(f"(?:[^\\W_]|[{MARKS}'’])+")

# Longest first: وال must win over ال. ل + ال is spelt لل. A bare و is not stripped: too many words
# begin with it (وزارة, وفاة), and stripping it would make الوفاة and وفاة different terms.
ARABIC_PREFIXES = ("وال", "فال", "بال", "كال", "لل", "ال")
# Light stemming: plural and feminine endings, the nisba ي, and "my/his/her" on a word (رخصتي, تجديدها).
# Tried in order, at most one is removed.
ARABIC_SUFFIXES = ("ات", "ون", "ين", "تي", "ته", "ها", "يه", "ه", "ي")
_MIN_ARABIC_PREFIX_REST = 2
_MIN_ARABIC_STEM = 3

# Normalised forms. Without them "the" or "في" in a query would make nearly every service a hit.
ENGLISH_STOPWORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "for", "from", "get", "how", "i", "in",
    "is", "it", "me", "my", "of", "on", "or", "the", "to", "want", "what", "where", "with", "you", "your",
})
ARABIC_STOPWORDS = frozenset({
    "في", "من", "الي", "علي", "عن", "او", "مع", "ان", "هذا", "هذه", "التي", "الذي", "كيف", "ما", "ماذا",
    "اريد", "ابي", "ابغي", "ابغا", "لو", "يا",
})
STOPWORDS = ENGLISH_STOPWORDS | ARABIC_STOPWORDS
# British and American spellings are one word to search; the index holds the first form.
ENGLISH_VARIANTS = {
    "license": "licence", "licenses": "licences", "licensed": "licenced", "licensing": "licencing",
    "center": "centre", "centers": "centres", "labor": "labour", "organization": "organisation",
    "omanization": "omanisation", "counseling": "counselling", "enrollment": "enrolment",
    "enroll": "enrol", "program": "programme", "defense": "defence", "authorization": "authorisation",
}
_VOWELS = frozenset("aeiouy")


def normalise(text: str) -> str:
    """Fold the spellings a citizen may use for one word into one: hamza, diacritics, digits, case."""
    text = unicodedata.normalize("NFKC", text)
    return _MARKS.sub("", text.translate(_FOLDS)).casefold()


def written(text: str) -> str:
    """The text as written, less diacritics and tatweel: what a suggestion may show back to a citizen."""
    return _MARKS.sub("", unicodedata.normalize("NFKC", text)).casefold()


def words(text: str) -> list[str]:
    """Normalised words, split on anything but letters and digits; little words kept."""
    return _WORD.findall(normalise(text))


def written_words(text: str) -> list[str]:
    return _WORD.findall(written(text).translate(str.maketrans(dict.fromkeys(DROPPED))))


def is_arabic(word: str) -> bool:
    return "\u0600" <= word[0] <= "\u06ff"


def strip_arabic_prefix(word: str) -> str:
    for prefix in ARABIC_PREFIXES:
        if word.startswith(prefix):
            rest = word[len(prefix):]
            return rest if len(rest) >= _MIN_ARABIC_PREFIX_REST else word
    return word


def strip_arabic_suffix(word: str) -> str:
    for suffix in ARABIC_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_ARABIC_STEM:
            return word[:-len(suffix)]
    return word


def stem_arabic(word: str) -> str:
    """Light stemming: the article with its prepositions, then one plural, feminine or nisba ending."""
    return strip_arabic_suffix(strip_arabic_prefix(word))


def stem_english(word: str) -> str:
    """A deliberately light stemmer: plurals and -ing/-ed, enough that "licences" finds "licence"."""
    word = ENGLISH_VARIANTS.get(word, word)
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


def term(word: str) -> str | None:
    """The term a normalised word is searched by; None for little words and stray letters."""
    if word in STOPWORDS:
        return None
    if is_arabic(word):
        word = stem_arabic(word)
    elif word.isascii() and word.isalpha():
        word = stem_english(word)
    return word if len(word) >= 2 or word.isdigit() else None


def analyse(text: str) -> list[str]:
    """The terms of a text, in order: normalised, split on anything but letters and digits, stemmed."""
    return [found for word in words(text) if (found := term(word))]


def prefix_forms(word: str) -> set[str]:
    """What a half-typed normalised word may begin: as typed, and without the article the index drops."""
    forms = {word}
    if is_arabic(word):
        stripped = strip_arabic_prefix(word)
        if stripped != word:
            forms.add(stripped)
    return forms


def edge_grams(word: str, longest: int = 20) -> list[str]:
    """Every beginning of a normalised word, and of it without the article, for completing what is typed."""
    return sorted({form[:end] for form in prefix_forms(word) for end in range(1, min(len(form), longest) + 1)})
