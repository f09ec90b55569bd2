"""Did you mean: the closest word services use, shown as they write it."""

from services.search.domain.analysis import normalise
from services.search.domain.spelling import Vocabulary, edit_distance


def test_edits_count_a_swap_of_neighbouring_letters_as_one() -> None:
    assert edit_distance("passport", "passprot") == 1
    assert edit_distance("licence", "licance") == 1
    assert edit_distance("kitten", "sitting") == 3


def test_a_typo_is_corrected_to_the_word_as_services_write_it() -> None:
    vocabulary = Vocabulary({"إقامة": 4, "جواز": 9, "passport": 3})
    assert vocabulary.correct(normalise("جواذ")) == "جواز"
    assert vocabulary.correct(normalise("اقامت")) == "إقامة"
    assert vocabulary.correct("pasport") == "passport"


def test_a_known_word_or_one_too_far_from_any_is_not_corrected() -> None:
    vocabulary = Vocabulary({"passport": 3, "visa": 2})
    assert vocabulary.correct("passport") is None
    assert vocabulary.correct("tractor") is None


def test_short_words_are_not_corrected() -> None:
    assert Vocabulary({"id": 5}).correct("is") is None


def test_long_words_may_be_two_edits_away() -> None:
    assert Vocabulary({"certificate": 5}).correct("certficat") == "certificate"


def test_between_equally_close_words_the_more_used_wins() -> None:
    vocabulary = Vocabulary({"permit": 9, "perdit": 1})
    assert vocabulary.correct("permot") == "permit"


def test_spellings_that_normalise_alike_are_counted_together_and_the_commonest_shown() -> None:
    vocabulary = Vocabulary({"رخصة": 5, "رخصه": 1, "رحلة": 4})
    assert vocabulary.correct(normalise("رخسة")) == "رخصة"
    assert normalise("رخصة") in vocabulary
