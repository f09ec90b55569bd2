"""A catalogue record becomes what the index holds; only newer versions replace it."""

from services.search.domain import build_document, is_newer, popularity_boost
from shared.contracts.base import Bilingual
from shared.contracts.catalog import ServiceRecord, Synonyms


def create_record(**changes: object) -> ServiceRecord:
    values: dict[str, object] = {
        "slug": "renew-driving-licence", "ministry": "rop", "version": 3,
        "ministry_name": Bilingual(ar="شرطة عمان السلطانية", en="Royal Oman Police"),
        "title": Bilingual(ar="تجديد رخصة القيادة", en="Renew a driving licence"),
        "description": Bilingual(ar="خدمة", en="A service"), "maturity": "electronic", "target_days": 2,
        "keywords": ["ليسن", "licence renewal"], "life_events": ["driving", "driving"],
        "synonyms": Synonyms(ar=["ليسن", "رخصة سياقة"], en=["DL"]),
    }
    return ServiceRecord.model_validate(values | changes)


def test_the_words_citizens_type_are_kept_once_whatever_list_they_came_from() -> None:
    document = build_document(create_record())
    assert document.keywords == ("ليسن", "licence renewal", "رخصة سياقة", "DL")
    assert document.life_events == ("driving",)


def test_the_document_carries_the_catalogue_version_and_the_submission_count() -> None:
    document = build_document(create_record(), popularity=12)
    assert (document.version, document.popularity) == (3, 12)


def test_only_a_newer_catalogue_version_replaces_what_is_indexed() -> None:
    assert is_newer(1, None)
    assert is_newer(3, 2)
    assert not is_newer(2, 2)
    assert not is_newer(1, 2)


def test_popularity_lifts_a_service_gently_and_never_below_an_unrequested_one() -> None:
    assert popularity_boost(0) == 1.0
    assert 1.2 < popularity_boost(10) < 1.3
    assert popularity_boost(1000) < 1.7
    assert popularity_boost(-5) == 1.0
