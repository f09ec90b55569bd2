"""Query understanding, step by step: colloquial Arabic, Arabizi, the lexicon's concepts, intents, and what
must be left exactly as typed."""

import pytest

from services.search.domain import SearchQuery, SynonymIndex, plan_query
from services.search.domain.analysis import normalise, words
from services.search.domain.curation import QueryTally, rewritten_query
from services.search.domain.understanding import Understanding, tag_service, understand
from services.search.domain.understanding.arabizi import is_candidate, skeleton
from services.search.domain.understanding.colloquial import standard_form
from services.search.lexicon import load_lexicon

LEXICON = load_lexicon()


def understood(text: str) -> Understanding:
    return understand(words(text), text, LEXICON)


@pytest.mark.parametrize(("typed", "standard"), [
    ("ودي", ("اريد",)), ("ابغى", ("اريد",)), ("وش", ("ماذا",)), ("شلون", ("كيف",)),
    ("اجدد", ("تجديد",)), ("اسجل", ("تسجيل",)), ("انسرقت", ("سرقه",)), ("ضاعت", ("فقدان",)),
    ("ليسن", ("رخصه", "قياده")), ("ابوي", ("اب",)),
])
def test_gulf_and_omani_forms_become_the_standard_words_services_use(typed: str, standard: tuple[str, ...]) -> None:
    assert standard_form(normalise(typed), LEXICON) == standard


def test_question_words_and_filler_are_dropped() -> None:
    assert standard_form("اسوي", LEXICON) == ()
    assert standard_form("someone", LEXICON) == ()
    assert understood("وش اسوي اذا").searched == ("ماذا",)


def test_a_glued_preposition_or_pronoun_ending_comes_off_only_to_leave_a_known_word() -> None:
    assert standard_form("ببنت", LEXICON) == ("بنت",)
    assert standard_form("دخلنا", LEXICON) == ("دخل",)
    assert standard_form("وزارة", LEXICON) is None
    assert standard_form("بلدية", LEXICON) is None


def test_standard_arabic_is_left_as_written() -> None:
    assert standard_form("تجديد", LEXICON) is None
    assert understood("تجديد جواز السفر").rewrites == ()


@pytest.mark.parametrize("spellings", [("bitaqa", "betaqa", "bitaka", "be6aqa"), ("ta2sheera", "tasheera"),
                                       ("ma7koomiya", "mahkoomiya"), ("tajdeed", "tajdid")])
def test_arabizi_spellings_of_one_word_share_a_skeleton(spellings: tuple[str, ...]) -> None:
    assert len({skeleton(s) for s in spellings}) == 1


@pytest.mark.parametrize(("typed", "arabic"), [
    ("bitaqa", "بطاقه"), ("betaka", "بطاقه"), ("3amal", "عمل"), ("ta2sheera", "تاشيره"), ("rukh9a", "رخصه"),
    ("sayyara", "سياره"), ("7adana", "حضانه"),
])
def test_latin_letter_arabic_gains_its_arabic_word_and_keeps_the_typed_one(typed: str, arabic: str) -> None:
    found = understood(typed)
    assert found.searched == (typed, arabic)
    assert [(r.typed, r.became, r.how) for r in found.rewrites] == [(typed, (arabic,), "arabizi")]


@pytest.mark.parametrize("text", ["renew passport", "visa", "traffic fines", "Mohammed Al Balushi",
                                  "Fatma Said", "Khalid"])
def test_english_words_and_names_are_not_taken_for_arabizi(text: str) -> None:
    assert not [r for r in understood(text).rewrites if r.how == "arabizi"]


@pytest.mark.parametrize("text", ["ROP-2026-000042-8", "MOH-2025-000913-2 status", "12345678", "٩٦٨٩١٢٣٤٥٦٧",
                                  "2026", "MO2-2026-000042-K", "MOCIIPROMOTE-2026-000007-3", "mosd-2026-000001-x"])
def test_tracking_numbers_and_numbers_are_searched_exactly_as_typed(text: str) -> None:
    found = understood(text)
    assert [r for r in found.rewrites if r.how != "filler"] == []
    assert all(w in found.searched for w in words(text) if w not in {"status"})


@pytest.mark.parametrize("word", ["2026", "000042", "968912345", "a1", "x", "rop2026"])
def test_numbers_and_codes_are_not_arabizi_candidates(word: str) -> None:
    assert not is_candidate(word)


@pytest.mark.parametrize(("text", "concept"), [
    ("my father passed away", "death"), ("توفي والدي", "death"), ("الوفاة", "death"),
    ("stolen wallet", "replace"), ("بدل فاقد", "replace"), ("accident report", "accident"), ("حادث", "accident"),
    ("widow", "widowhood"), ("أرملة", "widowhood"), ("moving house", "moving-house"), ("انتقال السكن", "moving-house"),
    ("mulkiya", "vehicle-registration"), ("وش اسوي اذا انسرقت بطاقتي", "civil-id"),
])
def test_either_language_reaches_the_same_concept(text: str, concept: str) -> None:
    found = understood(text)
    assert concept in (*found.concepts, *found.intents)


@pytest.mark.parametrize(("text", "intent"), [
    ("lost my licence", "replace"), ("renew my passport", "renew"), ("pay traffic fines", "pay"),
    ("register a trademark", "register"), ("new commercial registration", "new"), ("ودي اجدد الليسن", "renew"),
    ("cancel work permit", "cancel"),
])
def test_the_citizens_intent_is_read_from_their_words(text: str, intent: str) -> None:
    assert intent in understood(text).intents


def test_a_service_is_tagged_from_its_own_text_and_its_intents_come_from_its_title_only() -> None:
    tags = tag_service(["إصدار بدل فاقد لبطاقة الصيد", "Replace a lost fishing card"], ["صيد"],
                       ["في حال فقدان البطاقة أو تلفها يمكنك تجديدها", "If the card is lost, renew it online"], LEXICON)

    assert tags.intents == ("replace",)  # إصدار (new) is implied by the replacement
    assert "card" in tags.concepts
    assert "renew" not in (*tags.concepts, *tags.body_concepts, *tags.intents)


def test_a_service_mentioning_loss_only_in_its_description_holds_it_weakly() -> None:
    tags = tag_service(["خدمة الشهادات البحرية", "Maritime certificates"], [],
                       ["تقديم طلب في حالة فقدان الشهادة البحرية", "Apply when a seafarer's certificate is missing"],
                       LEXICON)

    assert "certificate" in tags.concepts
    assert "illness" not in tags.body_concepts
    assert tags.intents == ()


def test_understanding_off_plans_the_typed_words_only() -> None:
    plain = plan_query(SearchQuery(text="ودي اجدد الليسن"), SynonymIndex())
    understood_plan = plan_query(SearchQuery(text="ودي اجدد الليسن"), SynonymIndex(), LEXICON)

    assert plain.understanding is None and plain.concepts == ()
    assert {"تجديد", "رخص", "قياد"} <= understood_plan.terms
    assert "driving-licence" in understood_plan.concepts and "renew" in understood_plan.intents


def test_a_query_of_filler_alone_still_plans_no_words_but_is_not_an_error() -> None:
    plan = plan_query(SearchQuery(text="وش اسوي"), SynonymIndex(), LEXICON)

    assert plan.clauses == ()
    assert plan.is_blank


def test_staff_see_each_rewrite_and_the_concepts_read() -> None:
    described = understood("ودي bitaqa mafqooda").describe()

    assert described is not None
    assert "ودي→اريد" in described and "bitaqa→بطاقه" in described
    assert "concepts: card, civil-id" in described and "intent: replace" in described
    assert understood("xyzzy").describe() is None


def test_the_query_log_keeps_how_a_query_was_rewritten_without_identifying_numbers() -> None:
    tally = QueryTally(10)
    tally.record("ابغى اجدد الليسن", 3, LEXICON)
    tally.record("ابغى اجدد الليسن 12345678", 3, LEXICON)
    tally.record("plain words", 0, LEXICON)

    taken = tally.take()
    assert set(taken) == {"ابغي اجدد الليسن", "plain words"}
    assert taken["ابغي اجدد الليسن"].searches == 1
    rewritten = taken["ابغي اجدد الليسن"].rewritten
    assert rewritten is not None and "اجدد→تجديد" in rewritten
    assert taken["plain words"].rewritten is None
    assert rewritten_query("ابغي اجدد", LEXICON) == "ابغي→اريد اجدد→تجديد | intent: renew"


@pytest.mark.parametrize("text", ["", " ", "\u064b\u064e\u0650\u0651", "؟؟!!...", "\x00\x07\x1b", "a" * 10_000,
                                  "ودي bitaqa 3amal ROP-2026-000042-8 🙂", "\u200f\u200e\u202e", "ـــــ"])
def test_odd_text_is_understood_without_failing(text: str) -> None:
    plan = plan_query(SearchQuery(text=text), SynonymIndex(), LEXICON)
    assert plan.understanding is not None


def test_the_lexicon_is_several_hundred_reviewed_entries_in_both_languages() -> None:
    concepts = LEXICON.concepts.values()
    phrases = sum(len(c.phrases) for c in concepts)

    assert len(LEXICON.concepts) >= 100 and phrases >= 500
    assert len(LEXICON.colloquial) >= 200 and len(LEXICON.arabizi) >= 200
    assert {c.kind for c in concepts} == {"action", "event", "document", "person", "place", "topic"}
    for concept in concepts:
        arabic = [p for p in concept.phrases if "\u0600" <= p[0] <= "\u06ff"]
        assert arabic and len(arabic) < len(concept.phrases), concept.id
        assert concept.label_ar and concept.label_en
    assert all(k.isascii() for k in LEXICON.arabizi)


def test_a_replacement_or_renewal_is_not_also_asked_for_as_a_new_one() -> None:
    assert understood("تضررت رخصتي وابي وحدة جديدة").intents == ("replace",)
    assert understood("renew my card, I need a new one").intents == ("renew",)
    assert understood("new card").intents == ("new",)


def test_a_preposition_glued_to_a_services_word_does_not_hide_its_concept() -> None:
    assert {"driving-licence", "replace"} <= set(tag_service(["بدل فاقد لرخصة القيادة"], [], [], LEXICON).concepts
                                                 + tag_service(["بدل فاقد لرخصة القيادة"], [], [], LEXICON).intents)
    assert "licence" in LEXICON.find(["لرخص"])


def test_a_word_that_means_something_else_once_stemmed_is_not_read_as_a_concept() -> None:
    assert "spouse" not in understood("رخصة لأول مرة").concepts
    assert "mobile" not in understood("تلف").concepts
    assert "death" not in understood("passing the driving test").concepts
