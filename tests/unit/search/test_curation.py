"""What staff curate: synonym sets that can work, and a query report that never identifies anyone."""

import json
from pathlib import Path

import pytest

from services.search.domain import Invalid
from services.search.domain.curation import QueryTally, loggable_query, synonym_phrases


def test_a_synonym_set_is_trimmed_and_kept_once_per_phrase() -> None:
    assert synonym_phrases("en", [" car ", "vehicle", "car", ""]) == ("car", "vehicle")


@pytest.mark.parametrize(("lang", "phrases", "code"), [
    ("en", ["car"], "synonyms-count"),
    ("en", ["car", "the"], "synonym-empty"),
    ("ar", ["سيارة", "car"], "synonym-language"),
    ("en", ["licence", "license"], "synonyms-same"),
    ("en", ["car", "x" * 81], "synonym-too-long"),
])
def test_a_synonym_set_that_cannot_work_is_refused(lang: str, phrases: list[str], code: str) -> None:
    with pytest.raises(Invalid) as refused:
        synonym_phrases(lang, phrases)  # type: ignore[arg-type]
    assert refused.value.code == code


def test_queries_are_kept_normalised() -> None:
    assert loggable_query("  تجديد   رخصة القيادة!! ") == "تجديد رخصه القياده"
    assert loggable_query("Renew PASSPORT") == "renew passport"


@pytest.mark.parametrize("typed", [
    "request 12345678 status", "ROP-2024-000123", "99887766", "+968 9123 4567", "9988 7766 renew", "99 88 77 66",
    "call 968-9123-4567", "٩٩٨٨٧٧٦٦", "٩٩ ٨٨ ٧٧ ٦٦ تجديد", "aisha.balushi@example.om", "renew for aisha @ example.om",
    "civil 1234 5678", "(968) 2460 0000"])
def test_a_query_that_could_identify_or_reach_a_person_is_never_kept(typed: str) -> None:
    assert loggable_query(typed) is None


def test_short_numbers_in_an_ordinary_query_are_kept() -> None:
    assert loggable_query("renew passport 2025") == "renew passport 2025"
    assert loggable_query("form 12 page 3") == "form 12 page 3"


def test_the_tally_counts_searches_and_those_that_found_nothing() -> None:
    tally = QueryTally(limit=10)
    tally.record("Passport", 3)
    tally.record("passport", 0)
    tally.record("tractor", 0)
    counts = tally.take()
    assert {q: (c.searches, c.without_results) for q, c in counts.items()} == {"passport": (2, 1), "tractor": (1, 1)}
    assert tally.take() == {}


def test_the_tally_is_bounded_and_counts_what_it_dropped() -> None:
    tally = QueryTally(limit=2)
    for query in ("a1", "b1", "c1", "a1"):
        tally.record(query, 1)
    assert set(tally.take()) == {"a1", "b1"}
    assert tally.dropped == 1


@pytest.mark.parametrize("typed", [
    "محمد بن سالم الهنائي", "فاطمة بنت علي", "أحمد البلوشي", "خالد سعيد آل سعيد", "Ahmed Al Balushi 1987",
    "Mohammed bin Salim Al Hinai", "fatma al harthy", "Aisha Salim", "salim bin hamad"])
def test_a_query_that_looks_like_a_persons_full_name_is_never_kept(typed: str) -> None:
    assert loggable_query(typed) is None


@pytest.mark.parametrize("typed", [
    "Sultan Qaboos University", "السلطان قابوس", "عمر التقاعد", "mohammed", "احمد", "الضمان الاجتماعي",
    "السجل المدني", "al amerat municipality", "Ali renew passport"])
def test_a_service_query_that_mentions_a_name_is_kept(typed: str) -> None:
    assert loggable_query(typed) is not None


def test_no_query_of_the_relevance_sets_is_taken_for_a_name() -> None:
    queries = [q["q"] for name in ("search_relevance.json", "search_intent_relevance.json")
               for q in json.loads((Path(__file__).parents[2] / "data" / name).read_text())["queries"]]
    assert [q for q in queries if loggable_query(q) is None] == []
