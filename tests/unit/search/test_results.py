"""How a hit is shown: its title with the matched words marked, and the "did you mean" for misspellings."""

from services.search.domain import SearchQuery, SynonymIndex, plan_query
from services.search.domain.analysis import analyse
from services.search.domain.results import did_you_mean, facet_counts, highlight


def test_matched_words_are_marked_however_they_were_written() -> None:
    assert highlight("تجديد رخصة القيادة", analyse("رخصه")) == "تجديد <mark>رخصة</mark> القيادة"
    assert highlight("Renew a driving licence", analyse("licences")) == "Renew a driving <mark>licence</mark>"


def test_a_word_written_with_diacritics_is_marked_whole() -> None:
    assert highlight("رُخْصَةُ القِيَادَةِ", analyse("قياده")) == "رُخْصَةُ <mark>القِيَادَةِ</mark>"


def test_markup_in_a_title_is_shown_as_text_not_run() -> None:
    marked = highlight("<script>alert(1)</script> Passport & visa", analyse("passport"))
    assert marked == "&lt;script&gt;alert(1)&lt;/script&gt; <mark>Passport</mark> &amp; visa"
    assert highlight("Citizen's card", analyse("citizen")) == "<mark>Citizen&#x27;s</mark> card"


def test_the_start_of_a_longer_word_is_marked_from_three_letters() -> None:
    assert highlight("Registration", ["regis"]) == "<mark>Registration</mark>"
    assert highlight("Registration", ["re"]) == "Registration"


def test_did_you_mean_replaces_only_the_misspelt_words() -> None:
    plan = plan_query(SearchQuery("تجديد جواذ السفر"), SynonymIndex())
    assert did_you_mean(plan, {"جواذ": "جواز"}) == "تجديد جواز السفر"
    assert did_you_mean(plan, {}) is None


def test_facets_list_what_was_found_in_order_and_nothing_empty() -> None:
    assert facet_counts({"rop": 2, "moh": 1, "mm": 0}) == {"moh": 1, "rop": 2}
