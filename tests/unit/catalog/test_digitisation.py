from datetime import date

from services.catalog.domain import digitisation_date, onboarding_progress
from shared.contracts.base import Bilingual
from shared.contracts.catalog import ServiceRecord

NAME = Bilingual(ar="جهة", en="Ministry")


def create_record(slug: str = "permit", maturity: str = "manual", ministry: str = "mosd",
                  digitised_on: date | None = None) -> ServiceRecord:
    return ServiceRecord(slug=slug, ministry=ministry, ministry_name=NAME, version=1, title=NAME, description=NAME,
                         maturity=maturity, target_days=5, digitised_on=digitised_on)  # type: ignore[arg-type]


TODAY = date(2026, 11, 23)


def test_a_manual_service_brought_online_is_digitised_today() -> None:
    assert digitisation_date(create_record(), "electronic", TODAY) == TODAY
    assert digitisation_date(create_record(), "semi_electronic", TODAY) == TODAY


def test_the_first_digitisation_day_is_kept_through_later_versions() -> None:
    earlier = date(2026, 1, 5)
    assert digitisation_date(create_record(maturity="semi_electronic", digitised_on=earlier), "electronic",
                             TODAY) == earlier


def test_a_service_still_manual_or_born_online_or_new_is_not_digitised() -> None:
    assert digitisation_date(create_record(), "manual", TODAY) is None
    assert digitisation_date(create_record(maturity="electronic"), "electronic", TODAY) is None
    assert digitisation_date(None, "electronic", TODAY) is None


def test_onboarding_progress_counts_live_services_and_lists_ministries_without_any() -> None:
    services = [("published", create_record("a", "electronic", digitised_on=TODAY)),
                ("published", create_record("b", "manual")), ("draft", create_record("c", "semi_electronic")),
                ("retired", create_record("d", "manual"))]
    rows = onboarding_progress([("mosd", NAME, True), ("rop", NAME, False)], services, {"a", "d"})
    mosd, rop = rows
    assert (mosd.services, mosd.assessed, mosd.published, mosd.digitised) == (3, 1, 2, 1)
    assert (mosd.electronic, mosd.semi_electronic, mosd.manual, mosd.workspace) == (1, 1, 1, True)
    assert (rop.services, rop.workspace) == (0, False)
