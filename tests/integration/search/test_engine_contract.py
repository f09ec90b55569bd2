"""The contract every search engine keeps, whichever one the service is configured with.

Runs on the embedded engine always, and on OpenSearch when TEST_OPENSEARCH_URL names a cluster.
"""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.search.domain import (
    Conflict,
    NotFound,
    QueryPlan,
    SearchQuery,
    SearchResults,
    SynonymIndex,
    SynonymSet,
    build_document,
    plan_prefix,
    plan_query,
)
from services.search.engines import SearchEngine
from services.search.lexicon import load_lexicon
from tests.integration.search.engines import ENGINES, EngineFactory, engine_factory, opened
from tests.integration.search.helpers import create_indexed_service, create_service_record


@pytest.fixture(params=ENGINES)
def factory(request: pytest.FixtureRequest, tmp_path: Path) -> EngineFactory:
    return engine_factory(request.param, tmp_path)


@pytest.fixture
async def engine(factory: EngineFactory) -> AsyncIterator[SearchEngine]:
    async with opened(factory) as opened_engine:
        yield opened_engine


async def search(engine: SearchEngine, text: str, synonyms: SynonymIndex | None = None, **filters: object
                 ) -> SearchResults:
    return await engine.search(plan_query(SearchQuery(text, **filters), synonyms or SynonymIndex()))  # type: ignore[arg-type]


async def found(engine: SearchEngine, text: str, **filters: object) -> list[str]:
    return [hit.service.slug for hit in (await search(engine, text, **filters)).hits]


async def test_a_service_put_in_the_index_is_found_by_the_words_of_its_title(engine: SearchEngine) -> None:
    assert await engine.put(create_indexed_service("issue-passport", title_ar="إصدار جواز السفر",
                                                   title_en="Issue a passport"))

    assert await found(engine, "اصدار جواز") == ["issue-passport"]
    assert await found(engine, "passports") == ["issue-passport"]
    assert await engine.count() == 1


async def test_a_newer_version_replaces_the_service_and_an_older_or_the_same_one_is_refused(
        engine: SearchEngine) -> None:
    await engine.put(create_indexed_service("travel", title_en="Passport renewal", version=2))

    assert not await engine.put(create_indexed_service("travel", title_en="Passport renewal", version=2))
    assert not await engine.put(create_indexed_service("travel", title_en="Expatriate card", version=1))
    assert await engine.put(create_indexed_service("travel", title_en="Travel document", version=3))

    assert await found(engine, "expatriate") == []
    assert await found(engine, "travel document") == ["travel"]
    assert await engine.version_of("travel") == 3


async def test_a_retired_service_disappears_and_a_late_publish_does_not_bring_it_back(engine: SearchEngine) -> None:
    await engine.put(create_indexed_service("old-permit", title_en="Fishing permit", version=1))

    assert await engine.retire("old-permit", 2)
    assert not await engine.retire("old-permit", 2)
    assert not await engine.put(create_indexed_service("old-permit", title_en="Fishing permit", version=1))

    assert await found(engine, "fishing") == []
    assert await engine.version_of("old-permit") == 2
    assert await engine.count() == 0


async def test_a_title_match_ranks_above_a_keyword_match_and_that_above_a_description_match(
        engine: SearchEngine) -> None:
    await engine.put(create_indexed_service("a-in-description", title_en="Entry", description_en="A visa for you"))
    await engine.put(create_indexed_service("b-in-keywords", title_en="Entry", keywords=("visa",)))
    await engine.put(create_indexed_service("c-in-title", title_en="Visa"))

    assert await found(engine, "visa") == ["c-in-title", "b-in-keywords", "a-in-description"]


async def test_among_equal_matches_the_more_requested_service_ranks_first(engine: SearchEngine) -> None:
    for slug in ("a-rarely-used", "b-often-used"):
        await engine.put(create_indexed_service(slug, title_en="Health card"))
    assert await found(engine, "health card") == ["a-rarely-used", "b-often-used"]

    await engine.set_popularity({"b-often-used": 40})

    assert await found(engine, "health card") == ["b-often-used", "a-rarely-used"]


async def test_counts_for_several_services_set_at_once_rank_each_and_a_lower_count_changes_nothing(
        engine: SearchEngine) -> None:
    for slug in ("a-card", "b-card", "c-card"):
        await engine.put(create_indexed_service(slug, title_en="Health card"))

    await engine.set_popularity({"b-card": 5, "c-card": 40, "not-published-yet": 3})
    await engine.set_popularity({"c-card": 1})

    assert await found(engine, "health card") == ["c-card", "b-card", "a-card"]
    assert await engine.count() == 3


async def test_popularity_does_not_lift_a_weak_match_over_a_title_match(engine: SearchEngine) -> None:
    await engine.put(create_indexed_service("popular", title_en="Entry", description_en="about a visa",
                                            popularity=5000))
    await engine.put(create_indexed_service("visa", title_en="Visa"))

    assert await found(engine, "visa") == ["visa", "popular"]


async def test_popularity_for_a_service_not_in_the_index_finds_nothing(engine: SearchEngine) -> None:
    await engine.set_popularity({"not-published-yet": 3})

    assert await engine.count() == 0
    assert await found(engine, "", ministry="rop") == []


async def test_filters_narrow_the_results_and_facets_count_what_is_left(engine: SearchEngine) -> None:
    await engine.put(create_indexed_service("a", title_en="Licence", life_events=("driving", "vehicle")))
    await engine.put(create_indexed_service("b", title_en="Licence", maturity="manual"))
    await engine.put(create_indexed_service("c", title_en="Licence", ministry="moh", life_events=("health",)))

    everything = await search(engine, "licence")
    assert everything.total == 3
    assert everything.facets.ministry == {"moh": 1, "rop": 2}
    assert everything.facets.life_event == {"driving": 2, "health": 1, "vehicle": 1}
    assert everything.facets.maturity == {"electronic": 2, "manual": 1}
    narrowed = await search(engine, "licence", ministry="rop", maturity="electronic")
    assert [h.service.slug for h in narrowed.hits] == ["a"]
    assert narrowed.facets.ministry == {"rop": 1}
    assert await found(engine, "licence", life_event="health") == ["c"]


async def test_a_blank_query_with_a_filter_lists_every_service_of_that_filter(engine: SearchEngine) -> None:
    await engine.put(create_indexed_service("a", ministry="rop"))
    await engine.put(create_indexed_service("b", ministry="moh"))

    assert await found(engine, "  ", ministry="moh") == ["b"]


async def test_results_come_twenty_to_a_page_in_a_stable_order(engine: SearchEngine) -> None:
    for n in range(45):
        await engine.put(create_indexed_service(f"s{n:02}", title_en="Passport"))

    pages = [await search(engine, "passport", page=p) for p in (1, 2, 3, 4)]

    assert [len(p.hits) for p in pages] == [20, 20, 5, 0]
    assert {p.total for p in pages} == {45}
    assert [h.service.slug for p in pages for h in p.hits] == [f"s{n:02}" for n in range(45)]


async def test_a_misspelt_word_still_finds_the_service_and_the_spelling_is_suggested(engine: SearchEngine) -> None:
    await engine.put(create_indexed_service("passport", title_ar="إصدار جواز السفر", title_en="Issue a passport"))
    await engine.put(create_indexed_service("visa", title_ar="تأشيرة زيارة", title_en="Visit visa"))

    english = await search(engine, "pasport")
    arabic = await search(engine, "جواذ السفر")

    assert [h.service.slug for h in english.hits] == ["passport"]
    assert english.suggestion == "passport"
    assert [h.service.slug for h in arabic.hits][:1] == ["passport"]
    assert arabic.suggestion is not None
    assert await found(engine, arabic.suggestion) == ["passport"]
    assert (await search(engine, "passport")).suggestion is None


async def test_the_start_of_a_word_finds_the_service(engine: SearchEngine) -> None:
    await engine.put(create_indexed_service("registration", title_en="Registration of a vehicle"))

    assert await found(engine, "registr") == ["registration"]


async def test_a_synonym_finds_services_written_with_the_other_phrase(engine: SearchEngine) -> None:
    synonyms = SynonymIndex([SynonymSet(1, "ar", ("سيارة", "مركبة")), SynonymSet(2, "en", ("car", "vehicle"))])
    await engine.put(create_indexed_service("vehicle", title_ar="تجديد ملكية المركبة", title_en="Renew a vehicle"))

    for query in ("سياره", "car"):
        assert [h.service.slug for h in (await search(engine, query, synonyms)).hits] == ["vehicle"], query
    assert await found(engine, "car") == []


async def test_suggestions_complete_the_last_word_and_need_the_words_before_it(engine: SearchEngine) -> None:
    await engine.put(create_indexed_service("renew-licence"))
    await engine.put(create_indexed_service("replace-card", title_ar="بدل فاقد البطاقة الشخصية",
                                            title_en="Replace a lost ID card"))

    async def suggested(text: str) -> list[str]:
        return sorted(s.slug for s in await engine.suggest(plan_prefix(text), 8))

    assert await suggested("تجديد رخ") == ["renew-licence"]
    assert await suggested("الق") == ["renew-licence"]
    assert await suggested("re") == ["renew-licence", "replace-card"]
    assert await suggested("lost ca") == ["replace-card"]
    assert await suggested("   ") == []


async def test_a_rebuild_swaps_in_what_the_catalogue_lists_and_drops_the_rest(engine: SearchEngine) -> None:
    await engine.put(create_indexed_service("kept", title_en="Passport", version=1))
    await engine.put(create_indexed_service("gone", title_en="Passport office", version=1))

    build = await engine.begin_rebuild()
    assert await engine.add_to_rebuild(build, [create_indexed_service("kept", title_en="Passport", version=1)]) == 1
    assert await found(engine, "passport") == ["kept", "gone"]
    summary = await engine.complete_rebuild(build, expected=1)

    assert (summary.build, summary.services) == (build, 1)
    assert await found(engine, "passport") == ["kept"]


async def test_events_during_a_rebuild_reach_the_new_index_and_retired_services_stay_retired(
        engine: SearchEngine) -> None:
    await engine.put(create_indexed_service("retired", title_en="Fishing permit", version=1))
    await engine.retire("retired", 2)

    build = await engine.begin_rebuild()
    await engine.put(create_indexed_service("published-meanwhile", title_en="Fishing licence"))
    await engine.add_to_rebuild(build, [create_indexed_service("retired", title_en="Fishing permit", version=1)])
    summary = await engine.complete_rebuild(build, expected=1)

    assert summary.retired == 1
    assert await found(engine, "fishing") == ["published-meanwhile"]
    assert not await engine.put(create_indexed_service("retired", title_en="Fishing permit", version=2))


async def test_a_rebuild_missing_services_is_refused_and_the_live_index_stays(engine: SearchEngine) -> None:
    await engine.put(create_indexed_service("kept", title_en="Passport"))
    build = await engine.begin_rebuild()

    with pytest.raises(Conflict):
        await engine.complete_rebuild(build, expected=2)
    with pytest.raises(NotFound):
        await engine.add_to_rebuild("no-such-build", [])
    assert await found(engine, "passport") == ["kept"]


async def test_a_new_rebuild_abandons_an_unfinished_one(engine: SearchEngine) -> None:
    first = await engine.begin_rebuild()
    second = await engine.begin_rebuild()

    with pytest.raises(NotFound):
        await engine.complete_rebuild(first, expected=0)
    assert (await engine.complete_rebuild(second, expected=0)).build == second


async def test_the_index_outlives_the_process(factory: EngineFactory) -> None:
    async with opened(factory) as first:
        await first.put(create_indexed_service("birth", title_en="Birth certificate", version=4))
        await first.retire("old", 2)

    async with opened(factory) as second:
        assert await found(second, "birth") == ["birth"]
        assert await second.version_of("birth") == 4
        assert await second.version_of("old") == 2


async def test_a_query_meaning_a_concept_finds_a_service_tagged_with_it_in_the_other_language(
        engine: SearchEngine) -> None:
    lexicon = load_lexicon()
    arabic_only = create_service_record("death-grant", title_ar="منحة الوفاة", title_en="منحة الوفاة",
                                        description_ar="تصرف لأسرة المتوفى", description_en="تصرف لأسرة المتوفى")
    renewal = create_service_record("renew-card", title_ar="تجديد بطاقة الصيد", title_en="Renew a fishing card")
    replacement = create_service_record("replace-card", title_ar="بدل فاقد لبطاقة الصيد",
                                        title_en="Replace a fishing card")
    for record in (arabic_only, renewal, replacement):
        assert await engine.put(build_document(record, lexicon=lexicon))

    def understood(text: str) -> QueryPlan:
        return plan_query(SearchQuery(text, lang="en"), SynonymIndex(), lexicon)

    passed_away = await engine.search(understood("my mother passed away"))
    assert [hit.service.slug for hit in passed_away.hits] == ["death-grant"]
    assert [reason.value for reason in passed_away.hits[0].why] == ["death"]
    stolen = await engine.search(understood("my fishing card was stolen"))
    assert [hit.service.slug for hit in stolen.hits][:1] == ["replace-card"]
