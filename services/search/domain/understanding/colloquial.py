"""Gulf and Omani Arabic as citizens type it, put into the standard forms services are written in.

ودي/ابغى become أريد, وش becomes ماذا, اجدد becomes تجديد, ضاعت becomes فقدان; question words and
filler are dropped. A word with a preposition or conjunction glued on (ببنت, وجوازي) or a pronoun
ending (دخلنا, سيارتكم) is tried without it, but only when what is left is a word the lexicon knows.
"""

from services.search.domain.analysis import STOPWORDS, is_arabic, term
from services.search.domain.understanding.lexicon import PROCLITICS, Lexicon

# Pronoun endings the analyser's light stemmer leaves on: our, your (pl.), their, your, me.
PRONOUN_ENDINGS = ("نا", "كم", "هم", "كن", "هن", "ك", "ني")
_MIN_REST = 3


def standard_form(word: str, lexicon: Lexicon) -> tuple[str, ...] | None:
    """The standard words for a normalised colloquial word; () when it is filler; None when unchanged."""
    if word in lexicon.colloquial:
        return lexicon.colloquial[word]
    if word in lexicon.fillers:
        return ()
    if not word or not is_arabic(word) or _known(word, lexicon):
        return None
    for rest in _without_clitics(word):
        if rest in lexicon.colloquial:
            return lexicon.colloquial[rest]
        if rest in lexicon.fillers or rest in STOPWORDS:
            return ()
        if _known(rest, lexicon):
            return (rest,)
    return None


def _known(word: str, lexicon: Lexicon) -> bool:
    found = term(word)
    return found is not None and found in lexicon.terms


def _without_clitics(word: str) -> list[str]:
    forms = []
    if word.startswith(PROCLITICS) and len(word) - 1 >= _MIN_REST:
        forms.append(word[1:])
    for form in (word, *forms):
        forms += [form[:-len(e)] for e in PRONOUN_ENDINGS if form.endswith(e) and len(form) - len(e) >= _MIN_REST]
    return forms
