"""Arabic written in Latin letters ("bitaqa", "ta2sheera", "ba7ith 3an 3amal") turned into Arabic words.

Spellings vary without end (bitaqa, betaka, bitaka, be6aqa), so each is reduced to a consonant skeleton:
digits read as the letters they stand for, vowels and doubled letters dropped, q and k one letter. The
lexicon's spellings are filed under their skeletons; a typed word is found by its own.
"""

import re

# Arabizi digits: 2 hamza, 3 ain (both read as vowels here), 5 kha, 6 ṭa, 7 ḥa, 8 ghain, 9 ṣad.
_DIGITS = {"2": "", "3": "", "5": "x", "6": "t", "7": "h", "8": "g", "9": "s"}
_DIGRAPHS = (("kh", "x"), ("sh", "$"), ("ch", "$"), ("th", "t"), ("dh", "d"), ("gh", "g"), ("ph", "f"))
_VOWELS = re.compile("[aeiou]")
_ARABIZI = re.compile("[a-z235679]+")
# Shorter skeletons are matched only by an exact spelling: "sn" or "ml" would catch too many words.
MIN_SKELETON = 3
ARTICLE = ("al", "el")


def skeleton(word: str) -> str:
    """The consonants of a Latin-letter spelling: "betaqa" and "bitaka" are both "btk"."""
    word = word.casefold()
    for digit, letter in _DIGITS.items():
        word = word.replace(digit, letter)
    for digraph, letter in _DIGRAPHS:
        word = word.replace(digraph, letter)
    word = _VOWELS.sub("", word.replace("q", "k"))
    collapsed = [c for i, c in enumerate(word) if i == 0 or c != word[i - 1]]
    return "".join(collapsed)


def is_candidate(word: str) -> bool:
    """Latin letters, perhaps with Arabizi digits; never a number or something with a run of digits in it."""
    if not word.isascii() or not _ARABIZI.fullmatch(word):
        return False
    digits = sum(c.isdigit() for c in word)
    return len(word) - digits >= 2 and digits * 2 <= len(word) and not re.search(r"\d{3}", word)
