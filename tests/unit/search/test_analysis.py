"""What a citizen types and what a ministry wrote must meet in the same terms."""

from services.search.domain.analysis import (
    analyse,
    edge_grams,
    normalise,
    stem_arabic,
    stem_english,
    strip_arabic_prefix,
    written,
)


def same_terms(typed: str, written_text: str) -> bool:
    return analyse(typed) == analyse(written_text)


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
    for written_word in ("القيادة", "والقيادة", "فالقيادة", "بالقيادة", "كالقيادة", "للقيادة"):
        assert analyse(written_word) == analyse("قيادة"), written_word


def test_a_short_word_that_merely_starts_like_the_article_keeps_its_letters() -> None:
    assert strip_arabic_prefix("الم") == "الم"
    assert strip_arabic_prefix("بالغ") == "بالغ"
    assert strip_arabic_prefix("السفر") == "سفر"


def test_plural_feminine_and_possessive_endings_find_the_plain_word() -> None:
    assert same_terms("شهادات", "شهادة")
    assert same_terms("الخدمات", "خدمة")
    assert same_terms("المحامين", "محامي")
    assert same_terms("رخصتي", "رخصة")
    assert same_terms("تجديدها", "تجديد")
    assert same_terms("سكنية", "سكني")


def test_light_stemming_leaves_at_least_three_letters() -> None:
    assert stem_arabic("طبي") == "طبي"
    assert same_terms("طبية", "طبي")
    assert stem_arabic("عمان") == "عمان"


def test_a_bare_waw_is_not_taken_for_and() -> None:
    assert same_terms("وفاة", "الوفاة")
    assert analyse("وزارة") != analyse("زارة")


def test_english_is_matched_whatever_the_case_and_punctuation() -> None:
    assert analyse("DRIVING-Licence, renewal!") == analyse("driving licence renewal")


def test_british_and_american_spellings_are_one_word() -> None:
    assert same_terms("driver license", "driver licence")
    assert same_terms("labor", "labour")
    assert same_terms("Omanization", "Omanisation")
    assert same_terms("licenses", "licences")


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


def test_common_little_words_and_wishes_are_not_searched_for() -> None:
    assert analyse("I want to renew the licence for my car") == ["renew", "licence", "car"]
    assert analyse("ابي تجديد رخصة في مسقط") == ["تجديد", "رخص", "مسقط"]


def test_text_is_split_on_anything_that_is_not_a_letter_or_digit() -> None:
    assert analyse("تجديد،رخصة؛جواز؟visa/permit") == ["تجديد", "رخص", "جواز", "visa", "permit"]


def test_written_form_keeps_the_letters_a_suggestion_shows() -> None:
    assert written("إقَامَة") == "إقامة"


def test_a_word_can_be_completed_from_its_start_with_or_without_the_article() -> None:
    grams = edge_grams(normalise("القيادة"))
    assert {"ا", "ال", "الق", "ق", "قي", "قياده"} <= set(grams)
