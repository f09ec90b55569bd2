"""The catalogue `make run` loads: complete enough that nobody has to phone a ministry."""

import re

import pytest

from portal.onboarding import SEED, seed_ministries, seed_services
from portal.simulator import DOCUMENTS
from services.catalog.domain import MinistryDraft, ServiceDraft, build_record
from services.requests.domain.renewals import issues
from shared.contracts.base import Bilingual

ARABIC = re.compile(r"[\u0600-\u06FF]")
MINISTRIES = [m["code"] for m in seed_ministries()]
SERVICES = [(code, service) for code in MINISTRIES for service in seed_services(code)]
NAME = Bilingual(ar="وزارة", en="Ministry")


def test_every_seed_file_belongs_to_an_onboarded_ministry() -> None:
    assert {p.stem for p in (SEED / "services").glob("*.json")} <= set(MINISTRIES)
    for ministry in seed_ministries():
        MinistryDraft.model_validate(ministry)


def test_slugs_are_unique_across_the_whole_catalogue() -> None:
    slugs = [service["slug"] for _, service in SERVICES]
    assert len(slugs) == len(set(slugs))


@pytest.mark.parametrize(("code", "service"), SERVICES, ids=[s["slug"] for _, s in SERVICES])
def test_each_seeded_service_is_a_valid_complete_bilingual_description(code: str, service: dict[str, object]
                                                                       ) -> None:
    draft = ServiceDraft.model_validate(service)
    assert ARABIC.search(draft.title.ar) and ARABIC.search(draft.description.ar)
    assert not ARABIC.search(draft.title.en)
    assert draft.steps and all(ARABIC.search(s.title.ar) for s in draft.steps)
    assert draft.form, "a citizen needs a form to apply"


@pytest.mark.parametrize(("slug", "document_type"), [
    *((slug, issued.document_type) for slug, issued in DOCUMENTS.items()),
    ("book-family-counselling-session", "counselling_appointment")])  # what the workspace's browser test issues
def test_the_ministry_of_each_service_that_issues_a_document_owns_its_type(slug: str, document_type: str) -> None:
    [ministry] = [code for code, service in SERVICES if service["slug"] == slug]
    records = [build_record(ServiceDraft.model_validate(s), ministry, NAME, 1)
               for code, s in SERVICES if code == ministry]
    assert any(issues(record, document_type) for record in records)
