"""What someone downloading the catalogue as open data finds: CPSV-AP JSON-LD that parses, and a safe CSV."""

import csv
import io
import json
from decimal import Decimal
from typing import Any

from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, SKOS

from services.catalog.opendata import catalogue_csv, catalogue_jsonld
from shared.contracts.catalog import ServiceRecord

CPSV = Namespace("http://purl.org/vocab/cpsv#")
CV = Namespace("http://data.europa.eu/m8g/")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
ELI = Namespace("http://data.europa.eu/eli/ontology#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
PORTAL = Namespace("https://portal.gov.om/ns#")
OMR = URIRef("http://publications.europa.eu/resource/authority/currency/OMR")
BASE = "https://portal.gov.om/api/catalog"


def create_service_record(**overrides: Any) -> ServiceRecord:
    fields: dict[str, Any] = {
        "slug": "renew-passport",
        "ministry": "rop",
        "ministry_name": {"ar": "شرطة عمان السلطانية", "en": "Royal Oman Police"},
        "version": 3,
        "title": {"ar": "تجديد جواز السفر", "en": "Renew a passport"},
        "description": {"ar": "تجديد جواز السفر العماني قبل انتهائه.",
                        "en": "Renew an Omani passport before it expires."},
        "keywords": ["جواز", "passport"],
        "synonyms": {"ar": ["باسبور"], "en": ["travel document"]},
        "maturity": "electronic",
        "life_events": ["travel"],
        "target_days": 5,
        "audience": ["citizen"],
        "steps": [{"title": {"ar": "قدّم الطلب", "en": "Apply"}}, {"title": {"ar": "ادفع الرسوم", "en": "Pay"}},
                  {"title": {"ar": "استلم الجواز", "en": "Collect the passport"}}],
        "channels": [
            {"kind": "online", "url": "https://rop.gov.om/passport"},
            {"kind": "service_centre", "name": {"ar": "مركز خدمة السيب", "en": "Seeb service centre"},
             "hours": [{"days": ["sun", "mon", "tue", "wed", "thu"], "opens": "07:30", "closes": "14:30"}]},
        ],
        "fees": [{"channel": "online", "amount_omr": "1.5"},
                 {"channel": "service_centre", "amount_omr": "2.000", "illustrative": True}],
        "evidence": [{"name": {"ar": "الجواز الحالي", "en": "Current passport"}, "original_required": True},
                     {"name": {"ar": "صورة شخصية", "en": "Personal photo"}}],
        "eligibility": {"ar": "مواطن عماني", "en": "An Omani citizen"},
        "output": {"ar": "جواز سفر جديد", "en": "A new passport"},
        "legal_basis": [{"title": {"ar": "قانون الجوازات", "en": "Passports Law"}, "reference": "RD 16/2020"}],
    }
    return ServiceRecord.model_validate(fields | overrides)


def create_catalogue() -> list[ServiceRecord]:
    licence = create_service_record(
        slug="renew-driving-licence", version=1, maturity="manual", target_days=10,
        title={"ar": "تجديد رخصة القيادة", "en": "Renew a driving licence"}, life_events=["driving"],
        keywords=[], synonyms={}, channels=[{"kind": "ministry_office"}],
        fees=[{"channel": "ministry_office", "amount_omr": "10"}], evidence=[], eligibility=None, output=None,
        legal_basis=[])
    certificate = create_service_record(
        slug="health-certificate", ministry="moh", version=2, target_days=1,
        ministry_name={"ar": "وزارة الصحة", "en": "Ministry of Health"},
        title={"ar": "شهادة صحية", "en": "Health certificate"}, life_events=["health", "work"],
        audience=["citizen", "resident"], channels=[{"kind": "online"}], fees=[], steps=[])
    return [create_service_record(), licence, certificate]


def as_graph(records: list[ServiceRecord]) -> Graph:
    return Graph().parse(data=json.dumps(catalogue_jsonld(records, BASE)), format="json-ld")


def service(slug: str) -> URIRef:
    return URIRef(f"{BASE}/services/{slug}")


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_the_json_ld_parses_and_holds_one_public_service_per_record() -> None:
    graph = as_graph(create_catalogue())

    assert set(graph.subjects(RDF.type, CPSV.PublicService)) == {
        service("renew-passport"), service("renew-driving-licence"), service("health-certificate")}


def test_each_service_has_its_title_in_arabic_and_in_english_with_language_tags() -> None:
    graph = as_graph(create_catalogue())

    titles = set(graph.objects(service("renew-passport"), DCTERMS.title))

    assert titles == {Literal("تجديد جواز السفر", lang="ar"), Literal("Renew a passport", lang="en")}
    for subject in graph.subjects(RDF.type, CPSV.PublicService):
        assert {t.language for t in graph.objects(subject, DCTERMS.title) if isinstance(t, Literal)} == {"ar", "en"}


def test_the_competent_authority_is_one_public_organisation_per_ministry_with_bilingual_labels() -> None:
    graph = as_graph(create_catalogue())

    rop = URIRef(f"{BASE}/ministries/rop")
    assert set(graph.subjects(RDF.type, CV.PublicOrganisation)) == {rop, URIRef(f"{BASE}/ministries/moh")}
    assert graph.value(service("renew-driving-licence"), CV.hasCompetentAuthority) == rop
    assert graph.value(service("health-certificate"), CV.hasCompetentAuthority) == URIRef(f"{BASE}/ministries/moh")
    assert set(graph.objects(rop, SKOS.prefLabel)) == {Literal("شرطة عمان السلطانية", lang="ar"),
                                                       Literal("Royal Oman Police", lang="en")}


def test_a_fee_is_a_three_decimal_omr_cost_linked_to_the_channel_it_is_paid_through() -> None:
    graph = as_graph([create_service_record()])

    costs = {}
    for cost in graph.objects(service("renew-passport"), CV.hasCost):
        channel = graph.value(cost, CV.ifAccessedThrough)
        assert (service("renew-passport"), CV.hasChannel, channel) in graph
        assert (channel, RDF.type, CV.Channel) in graph
        assert graph.value(cost, CV.currency) == OMR
        costs[str(graph.value(channel, DCTERMS.identifier))] = (graph.value(cost, CV.hasValue),
                                                                graph.value(cost, PORTAL.amount))

    assert set(costs) == {"online", "service_centre"}
    value, exact = costs["online"]
    assert value.datatype == XSD.double and value.toPython() == 1.5, "CPSV-AP 3.2.0 types cv:hasValue as a double"
    assert str(exact) == "1.500" and exact.datatype == XSD.decimal and exact.toPython() == Decimal("1.5")
    assert str(costs["service_centre"][1]) == "2.000"


def test_a_fee_for_a_channel_the_record_does_not_list_still_points_at_a_channel() -> None:
    graph = as_graph([create_service_record(channels=[], fees=[{"channel": "ministry_office", "amount_omr": "3"}])])

    cost = graph.value(service("renew-passport"), CV.hasCost)
    channel = graph.value(cost, CV.ifAccessedThrough)

    assert (channel, RDF.type, CV.Channel) in graph
    assert str(graph.value(channel, DCTERMS.identifier)) == "ministry_office"


def test_the_processing_time_is_an_iso_8601_duration_of_the_target_working_days() -> None:
    graph = as_graph(create_catalogue())

    time = graph.value(service("renew-passport"), CV.processingTime)
    days = graph.value(service("renew-passport"), PORTAL.targetWorkingDays)

    assert isinstance(time, Literal) and time.datatype == XSD.duration and str(time) == "P5D"
    assert isinstance(days, Literal) and days.datatype == XSD.integer and days.toPython() == 5
    assert str(graph.value(service("renew-driving-licence"), CV.processingTime)) == "P10D"


def test_keywords_and_synonyms_are_keywords_tagged_with_their_language() -> None:
    graph = as_graph([create_service_record()])

    assert set(graph.objects(service("renew-passport"), DCAT.keyword)) == {
        Literal("جواز", lang="ar"), Literal("passport", lang="en"),
        Literal("باسبور", lang="ar"), Literal("travel document", lang="en")}


def test_evidence_output_eligibility_law_and_life_events_are_typed_and_bilingual() -> None:
    graph = as_graph([create_service_record()])
    passport = service("renew-passport")

    evidence = set(graph.objects(passport, CPSV.hasInput))
    output = graph.value(passport, CPSV.produces)
    requirement = graph.value(passport, CV.holdsRequirement)
    law = graph.value(passport, CV.hasLegalResource)
    event = graph.value(passport, CV.isGroupedBy)

    assert len(evidence) == 2 and all((e, RDF.type, CV.Evidence) in graph for e in evidence)
    assert Literal("الجواز الحالي", lang="ar") in {t for e in evidence for t in graph.objects(e, DCTERMS.title)}
    assert (output, RDF.type, CV.Output) in graph
    assert (output, DCTERMS.title, Literal("A new passport", lang="en")) in graph
    assert (requirement, RDF.type, CV.Requirement) in graph
    assert (requirement, DCTERMS.description, Literal("مواطن عماني", lang="ar")) in graph
    assert (law, RDF.type, ELI.LegalResource) in graph
    assert str(graph.value(law, DCTERMS.identifier)) == "RD 16/2020"
    assert event == URIRef(f"{BASE}/life-events/travel") and (event, RDF.type, CV.LifeEvent) in graph
    assert (event, DCTERMS.title, Literal("السفر", lang="ar")) in graph


def test_maturity_and_version_are_published_with_each_service() -> None:
    graph = as_graph(create_catalogue())

    assert str(graph.value(service("renew-driving-licence"), PORTAL.maturity)) == "manual"
    assert str(graph.value(service("health-certificate"), URIRef("http://www.w3.org/2002/07/owl#versionInfo"))) == "2"


def test_the_csv_round_trips_with_one_row_per_service_and_arabic_intact() -> None:
    text = catalogue_csv(create_catalogue())

    rows = csv_rows(text)

    assert [r["slug"] for r in rows] == ["renew-passport", "renew-driving-licence", "health-certificate"]
    assert rows[0]["title_ar"] == "تجديد جواز السفر"
    assert rows[2]["ministry_name_ar"] == "وزارة الصحة"
    assert rows[0]["channels"] == "online;service_centre"
    assert rows[2]["audience"] == "citizen;resident" and rows[2]["life_events"] == "health;work"
    assert (rows[0]["evidence_count"], rows[0]["steps_count"], rows[0]["version"]) == ("2", "3", "3")


def test_the_csv_is_rfc_4180_text_with_crlf_line_ends_and_no_bom() -> None:
    text = catalogue_csv(create_catalogue())

    assert not text.startswith("\ufeff")
    assert text.startswith("slug,ministry,ministry_name_ar,ministry_name_en,title_ar,title_en,")
    assert text.endswith("\r\n") and text.count("\r\n") == 4 and "\n" not in text.replace("\r\n", "")


def test_fee_columns_have_three_decimals_and_stay_empty_when_there_is_no_fee() -> None:
    rows = csv_rows(catalogue_csv(create_catalogue()))

    assert (rows[0]["fee_online_omr"], rows[0]["fee_service_centre_omr"], rows[0]["fee_ministry_office_omr"]) == (
        "1.500", "2.000", "")
    assert rows[1]["fee_ministry_office_omr"] == "10.000"
    assert rows[2]["fee_online_omr"] == ""


def test_several_fees_through_one_channel_add_up_in_its_fee_column() -> None:
    record = create_service_record(fees=[{"channel": "online", "amount_omr": "1.250"},
                                         {"channel": "online", "amount_omr": "0.5"}])

    assert csv_rows(catalogue_csv([record]))[0]["fee_online_omr"] == "1.750"


def test_a_title_that_would_run_as_a_spreadsheet_formula_is_neutralised() -> None:
    record = create_service_record(title={"ar": "@SUM(A1)", "en": '=HYPERLINK("https://evil.example","Click")'},
                                   ministry_name={"ar": "-2+3", "en": "\t=1+1"})

    row = csv_rows(catalogue_csv([record]))[0]

    assert row["title_en"] == '\'=HYPERLINK("https://evil.example","Click")'
    assert row["title_ar"] == "'@SUM(A1)"
    assert row["ministry_name_ar"] == "'-2+3"
    assert row["ministry_name_en"] == "'\t=1+1"
    assert row["slug"] == "renew-passport", "a minus sign inside a value is no formula"
