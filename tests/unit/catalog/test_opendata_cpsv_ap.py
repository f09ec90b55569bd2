"""The catalogue's JSON-LD under the official CPSV-AP 3.2.0 SHACL shapes (SEMIC), validated offline by pySHACL."""

import socket
from collections import Counter
from typing import Any

import pytest

from portal.onboarding import seed_ministries, seed_services
from services.catalog.domain import LIFE_EVENTS
from services.catalog.opendata import catalogue_jsonld
from shared.contracts.catalog import ServiceRecord
from tests.standards import cpsv_ap_findings, violations
from tests.unit.catalog.test_opendata import create_service_record

BASE = "https://portal.gov.om"


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No remote @context or vocabulary may be fetched while the document is parsed and validated."""
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("validation tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def create_seeded_catalogue() -> list[ServiceRecord]:
    return [ServiceRecord.model_validate(service | {"ministry": ministry["code"], "ministry_name": ministry["name"],
                                                    "version": 1})
            for ministry in seed_ministries() for service in seed_services(ministry["code"])]


def create_catalogue_of_every_shape() -> list[ServiceRecord]:
    """A service of every maturity, channel kind, audience, life event, fee and evidence shape the catalogue accepts."""
    hours = [{"days": ["sun", "mon", "tue", "wed", "thu"], "opens": "07:30", "closes": "14:30"}]
    return [
        create_service_record(slug="electronic", maturity="electronic", audience=["citizen", "resident", "business"],
                              channels=[{"kind": "online", "url": "https://rop.gov.om/apply"}],
                              fees=[{"channel": "online", "amount_omr": "0"},
                                    {"channel": "online", "amount_omr": "0.125",
                                     "description": {"ar": "رسوم الدفع", "en": "Payment fee"}},
                                    {"channel": "online", "amount_omr": "999999.999"}]),
        create_service_record(slug="semi-electronic", maturity="semi_electronic", ministry="moh",
                              ministry_name={"ar": "وزارة الصحة", "en": "Ministry of Health"},
                              channels=[{"kind": "online"},
                                        {"kind": "service_centre", "name": {"ar": "مركز", "en": "Centre"},
                                         "hours": hours},
                                        {"kind": "service_centre", "hours": hours}],
                              fees=[{"channel": "service_centre", "amount_omr": "2", "illustrative": True}],
                              evidence=[{"name": {"ar": "بطاقة", "en": "ID card"},
                                         "description": {"ar": "سارية", "en": "Valid"}, "original_required": True},
                                        {"name": {"ar": "صورة", "en": "Photo"}}]),
        create_service_record(slug="manual", maturity="manual", target_days=0, audience=["business"],
                              keywords=[], synonyms={}, life_events=sorted(LIFE_EVENTS),
                              channels=[{"kind": "ministry_office", "hours": hours}],
                              fees=[{"channel": "ministry_office", "amount_omr": "10"},
                                    {"channel": "service_centre", "amount_omr": "5"}],
                              evidence=[], eligibility=None, output=None,
                              legal_basis=[{"title": {"ar": "قانون", "en": "Law"}, "url": "https://qanoon.om/p/1"}]),
        create_service_record(slug="no-channels", channels=[], fees=[], evidence=[], life_events=[],
                              description={"ar": "وصف", "en": " "}),
    ]


def test_the_seeded_catalogue_meets_the_official_cpsv_ap_shapes(offline: None) -> None:
    found = cpsv_ap_findings(catalogue_jsonld(create_seeded_catalogue(), BASE))

    assert violations(found) == Counter(), violations(found).most_common(10)


def test_a_catalogue_of_every_service_shape_meets_the_official_cpsv_ap_shapes(offline: None) -> None:
    found = cpsv_ap_findings(catalogue_jsonld(create_catalogue_of_every_shape(), BASE))

    assert violations(found) == Counter(), violations(found).most_common(10)
    assert found == Counter(), "the 3.2.0 shapes declare no warnings; a new one is worth a look"


def test_a_broken_record_is_caught_by_the_shapes(offline: None) -> None:
    document = catalogue_jsonld([create_service_record()], BASE)
    ministry, passport = document["@graph"][0], document["@graph"][1]
    del ministry["dct:title"]
    passport["cv:hasCost"][0]["cv:hasValue"]["@type"] = "xsd:decimal"

    found = violations(cpsv_ap_findings(document))

    assert set(found) == {("Violation", f"{BASE}/ministries/rop", "http://purl.org/dc/terms/title"),
                          ("Violation", f"{BASE}/services/renew-passport#cost-1", "http://data.europa.eu/m8g/hasValue")}
