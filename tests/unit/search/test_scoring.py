"""How services are ranked, filtered, counted and shown for what a citizen typed."""

from services.search.domain import (
    Document,
    SearchQuery,
    analyse,
    build_document,
    highlight,
    is_newer,
    run_search,
    score,
    suggest,
)
from shared.contracts.base import Bilingual
from shared.contracts.catalog import Maturity, ServiceRecord


def create_document(slug: str = "renew-driving-licence", title_ar: str = "تجديد رخصة القيادة",
                    title_en: str = "Renew a driving licence", description_ar: str = "خدمة إلكترونية",
                    description_en: str = "An online service", keywords: tuple[str, ...] = (),
                    ministry: str = "rop", maturity: Maturity = "electronic",
                    life_events: tuple[str, ...] = ("driving",)) -> Document:
    return build_document(ServiceRecord(
        slug=slug, ministry=ministry,
        ministry_name=Bilingual(ar="شرطة عمان السلطانية", en="Royal Oman Police"),
        version=1, title=Bilingual(ar=title_ar, en=title_en),
        description=Bilingual(ar=description_ar, en=description_en), keywords=list(keywords),
        maturity=maturity, life_events=list(life_events), target_days=3))


def slugs(query: SearchQuery, documents: list[Document]) -> list[str]:
    return [hit.document.slug for hit in run_search(documents, query).hits]


def test_title_matches_rank_above_description_matches() -> None:
    in_title = create_document(slug="z-in-title", title_en="Passport renewal")
    in_description = create_document(slug="a-in-description", title_en="Travel document",
                                     description_en="Replaces a lost passport")
    assert slugs(SearchQuery("passport"), [in_description, in_title]) == ["z-in-title", "a-in-description"]


def test_keyword_matches_rank_between_title_and_description_matches() -> None:
    title = create_document(slug="c", title_en="Visa")
    keyword = create_document(slug="b", title_en="Entry", keywords=("visa",))
    description = create_document(slug="a", title_en="Entry", description_en="a visa")
    assert [score(["visa"], d) for d in (title, keyword, description)] == [3.0, 2.0, 1.0]
    assert slugs(SearchQuery("visa"), [description, keyword, title]) == ["c", "b", "a"]


def test_the_start_of_a_word_finds_it_for_half_the_score() -> None:
    document = create_document(title_en="Registration of a vehicle")
    assert score(analyse("regis"), document) == 1.5
    assert score(analyse("registration"), document) == 3.0


def test_two_letters_are_too_few_to_count_as_the_start_of_a_word() -> None:
    assert score(analyse("re"), create_document(title_en="Registration")) == 0.0


def test_services_that_match_nothing_are_not_shown() -> None:
    results = run_search([create_document(title_en="Passport"), create_document(slug="b", title_en="Visa")],
                         SearchQuery("passport"))
    assert results.total == 1


def test_equal_scores_are_listed_by_slug() -> None:
    documents = [create_document(slug=s, title_en="Passport") for s in ("c", "a", "b")]
    assert slugs(SearchQuery("passport"), documents) == ["a", "b", "c"]


def test_a_service_matching_more_words_ranks_higher() -> None:
    both = create_document(slug="b", title_en="Renew a passport")
    one = create_document(slug="a", title_en="Lost passport")
    assert slugs(SearchQuery("renew passport"), [one, both]) == ["b", "a"]


def test_an_arabic_query_without_hamza_or_ta_marbuta_finds_the_arabic_title() -> None:
    document = create_document(title_ar="إصدار شهادة الميلاد", title_en="Birth certificate")
    assert slugs(SearchQuery("اصدار شهاده"), [document]) == [document.slug]


def test_filters_narrow_the_results_and_the_facets_count_what_is_left() -> None:
    documents = [
        create_document(slug="a", title_en="Licence", ministry="rop", life_events=("driving", "vehicle")),
        create_document(slug="b", title_en="Licence", ministry="rop", maturity="manual"),
        create_document(slug="c", title_en="Licence", ministry="moh", life_events=("health",)),
    ]
    everything = run_search(documents, SearchQuery("licence"))
    assert everything.facets.ministry == {"moh": 1, "rop": 2}
    assert everything.facets.life_event == {"driving": 2, "health": 1, "vehicle": 1}
    assert everything.facets.maturity == {"electronic": 2, "manual": 1}
    narrowed = run_search(documents, SearchQuery("licence", ministry="rop", maturity="electronic"))
    assert [h.document.slug for h in narrowed.hits] == ["a"]
    assert narrowed.facets.ministry == {"rop": 1}
    assert slugs(SearchQuery("licence", life_event="health"), documents) == ["c"]


def test_a_blank_query_with_a_filter_lists_every_service_of_that_filter() -> None:
    documents = [create_document(slug="a", ministry="rop"), create_document(slug="b", ministry="moh")]
    results = run_search(documents, SearchQuery("  ", ministry="moh"))
    assert [(h.document.slug, h.score) for h in results.hits] == [("b", 0.0)]


def test_a_query_of_only_little_words_finds_nothing() -> None:
    assert run_search([create_document(description_en="the service")], SearchQuery("the")).total == 0


def test_results_come_twenty_to_a_page() -> None:
    documents = [create_document(slug=f"s{n:02}", title_en="Passport") for n in range(45)]
    pages = [run_search(documents, SearchQuery("passport", page=p)) for p in (1, 2, 3, 4)]
    assert [len(p.hits) for p in pages] == [20, 20, 5, 0]
    assert {p.total for p in pages} == {45}
    assert pages[1].hits[0].document.slug == "s20"


def test_matched_words_are_marked_in_the_title_in_the_chosen_language() -> None:
    document = create_document(title_ar="تجديد رخصة القيادة", title_en="Renew a driving licence")
    arabic = run_search([document], SearchQuery("رخصه")).hits[0]
    english = run_search([document], SearchQuery("licences", lang="en")).hits[0]
    assert arabic.highlight == "تجديد <mark>رخصة</mark> القيادة"
    assert english.highlight == "Renew a driving <mark>licence</mark>"


def test_a_word_written_with_diacritics_is_marked_whole() -> None:
    assert highlight("رُخْصَةُ القِيَادَةِ", analyse("قياده")) == "رُخْصَةُ <mark>القِيَادَةِ</mark>"


def test_markup_in_a_title_is_shown_as_text_not_run() -> None:
    marked = highlight("<script>alert(1)</script> Passport & visa", analyse("passport"))
    assert marked == "&lt;script&gt;alert(1)&lt;/script&gt; <mark>Passport</mark> &amp; visa"
    assert highlight("Citizen's card", analyse("citizen")) == "<mark>Citizen&#x27;s</mark> card"


def test_suggestions_complete_the_last_word_typed() -> None:
    documents = [create_document(slug="passport", title_en="Passport renewal"),
                 create_document(slug="permit", title_en="Work permit"),
                 create_document(slug="licence", title_en="Driving licence")]
    assert [d.slug for d in suggest(documents, "p")] == ["passport", "permit"]
    assert [d.slug for d in suggest(documents, "work pe")] == ["permit"]
    assert suggest(documents, "  ") == []


def test_arabic_suggestions_ignore_the_article_being_typed() -> None:
    documents = [create_document(slug="licence", title_ar="تجديد رخصة القيادة")]
    assert [d.slug for d in suggest(documents, "الق")] == ["licence"]
    assert [d.slug for d in suggest(documents, "تجديد رخ")] == ["licence"]


def test_no_more_than_eight_suggestions_are_offered() -> None:
    documents = [create_document(slug=f"s{n}", title_en="Passport") for n in range(12)]
    assert len(suggest(documents, "pass")) == 8


def test_only_a_newer_catalogue_version_replaces_what_is_indexed() -> None:
    assert is_newer(1, None)
    assert is_newer(3, 2)
    assert not is_newer(2, 2)
    assert not is_newer(1, 2)


def test_the_words_citizens_type_found_in_a_services_synonyms_find_it() -> None:
    licence = build_document(ServiceRecord(
        slug="renew-driving-licence", ministry="rop", ministry_name=Bilingual(ar="شرطة", en="Police"), version=1,
        title=Bilingual(ar="تجديد رخصة القيادة", en="Renew a driving licence"),
        description=Bilingual(ar="خدمة", en="A service"), maturity="electronic", target_days=2,
        synonyms={"ar": ["ليسن"], "en": ["license"]}))  # type: ignore[arg-type]
    assert slugs(SearchQuery(text="ليسن"), [licence, create_document(slug="other", title_ar="أخرى",
                                                                        title_en="Other")]) == ["renew-driving-licence"]
