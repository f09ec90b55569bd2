"""A query is planned once for either engine: its words, their terms, and the synonyms staff declared."""

from services.search.domain import SearchQuery, SynonymIndex, SynonymSet, plan_prefix, plan_query
from services.search.domain.queries import edits_allowed


def create_synonyms(*sets: tuple[str, ...]) -> SynonymIndex:
    return SynonymIndex(SynonymSet(n, "ar" if not s[0].isascii() else "en", s) for n, s in enumerate(sets, 1))


def alternatives(text: str, synonyms: SynonymIndex | None = None) -> list[list[tuple[str, ...]]]:
    plan = plan_query(SearchQuery(text), synonyms or SynonymIndex())
    return [[a.terms for a in clause.alternatives] for clause in plan.clauses]


def test_each_searched_word_is_a_clause_and_little_words_are_not() -> None:
    assert alternatives("renew the passport") == [[("renew",)], [("passport",)]]


def test_a_word_in_a_synonym_set_also_looks_for_the_others() -> None:
    assert alternatives("car", create_synonyms(("car", "vehicle"))) == [[("car",), ("vehicle",)]]


def test_a_multi_word_synonym_is_matched_as_a_whole_and_longest_first() -> None:
    synonyms = create_synonyms(("رخصة قيادة", "رخصة سياقة", "ليسن"), ("رخصة", "ترخيص"))
    assert alternatives("تجديد رخصه سياقه", synonyms) == [
        [("تجديد",)], [("رخص", "سياق"), ("رخص", "قياد"), ("ليسن",)]]
    assert alternatives("رخصه بناء", synonyms) == [[("رخص",), ("ترخيص",)], [("بناء",)]]


def test_the_plan_keeps_the_words_as_typed_for_a_did_you_mean() -> None:
    plan = plan_query(SearchQuery("إقَامَة الطالب"), SynonymIndex())
    assert [(w.written, w.normalised, w.term) for w in plan.words] == [
        ("إقامة", "اقامه", "اقام"), ("الطالب", "الطالب", "طالب")]


def test_a_query_of_little_words_plans_nothing_to_search() -> None:
    assert plan_query(SearchQuery("the of في"), SynonymIndex()).is_blank


def test_the_page_decides_where_results_start() -> None:
    assert SearchQuery("x", page=3).offset == 40


def test_short_words_get_no_typo_allowance_and_long_words_two() -> None:
    assert [edits_allowed(w) for w in ("id", "visa", "licence", "passports")] == [0, 1, 2, 2]


def test_autocomplete_completes_the_last_word_and_requires_the_others() -> None:
    plan = plan_prefix("تجديد الرخ")
    assert plan.leading == ("تجديد",)
    assert set(plan.prefixes) == {"الرخ", "رخ"}
    assert plan.leading_text == "تجديد"
    assert plan_prefix("  ").is_blank
