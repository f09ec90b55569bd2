"""What a citizen types and what a ministry wrote must meet in the same terms."""

from services.search.domain import analyse, normalise, stem_english, strip_arabic_prefix


def same_terms(typed: str, written: str) -> bool:
    return analyse(typed) == analyse(written)


def test_a_query_without_hamza_finds_a_title_written_with_hamza() -> None:
    assert same_terms("احوال مدنيه", "أحوال مدنية")
    assert same_terms("اقامه", "إقامة")
    assert same_terms("اثار", "آثار")
    assert same_terms("اسم", "ٱسم")


def test_hamza_on_waw_and_ya_is_the_same_as_the_plain_letter() -> None:
    assert same_terms("مسوول", "مسؤول")
    assert same_terms("رييس", "رئيس")


def test_ta_marbuta_and_ha_are_the_same_letter_to_search() -> None:
    assert same_terms("رخصه", "رخصة")


def test_alef_maqsura_and_ya_are_the_same_letter_to_search() -> None:
    assert same_terms("مستشفي", "مستشفى")


def test_diacritics_and_tatweel_are_ignored() -> None:
    assert same_terms("تجديد رخصة", "تَجْدِيدُ رُخْـــصَةٍ")
    assert normalise("ـــهٰذا") == "هذا"


def test_arabic_indic_digits_match_latin_digits() -> None:
    assert analyse("نموذج ٢٠٢٤") == analyse("نموذج 2024") == ["نموذج", "2024"]
    assert analyse("۱۲۳") == ["123"]


def test_the_article_and_its_attached_prepositions_do_not_change_a_word() -> None:
    for written in ("القيادة", "والقيادة", "فالقيادة", "بالقيادة", "كالقيادة", "للقيادة"):
        assert analyse(written) == ["قياده"], written


def test_a_short_word_that_merely_starts_like_the_article_keeps_its_letters() -> None:
    assert strip_arabic_prefix("الم") == "الم"
    assert strip_arabic_prefix("بالغ") == "بالغ"
    assert strip_arabic_prefix("السفر") == "سفر"


def test_english_is_matched_whatever_the_case_and_punctuation() -> None:
    assert analyse("DRIVING-Licence, renewal!") == analyse("driving licence renewal")


def test_plurals_and_verb_endings_find_the_plain_word() -> None:
    assert stem_english("licences") == "licence"
    assert stem_english("renewing") == "renew"
    assert stem_english("renewed") == "renew"
    assert stem_english("issuing") == stem_english("issued") == stem_english("issues") == "issue"
    assert stem_english("permitted") == "permit"
    assert stem_english("companies") == "company"
    assert stem_english("addresses") == "address"


def test_words_that_only_look_plural_are_left_alone() -> None:
    assert stem_english("status") == "status"
    assert stem_english("business") == "business"
    assert stem_english("visa") == "visa"


def test_an_apostrophe_does_not_split_a_word() -> None:
    assert analyse("citizen's card") == ["citizen", "card"]


def test_common_little_words_are_not_searched_for() -> None:
    assert analyse("renew the licence for my car") == ["renew", "licence", "car"]
    assert analyse("تجديد رخصة في مسقط") == ["تجديد", "رخصه", "مسقط"]


def test_text_is_split_on_anything_that_is_not_a_letter_or_digit() -> None:
    assert analyse("تجديد،رخصة؛جواز؟visa/permit") == ["تجديد", "رخصه", "جواز", "visa", "permit"]
