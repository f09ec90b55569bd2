"""The catalogue as open data: CPSV-AP 3.x JSON-LD and a flat CSV. Pure functions, no I/O.

JSON-LD follows the EU Core Public Service Vocabulary Application Profile, CPSV-AP 3.x (checked against the
3.1.1/3.2.0 JSON-LD context). Each `ServiceRecord` is one `cpsv:PublicService`; its nested nodes are embedded
under it, so the top-level `@graph` holds the services and one `cv:PublicOrganisation` per ministry.

    ServiceRecord field   CPSV-AP 3.x property               node / value
    slug                  dct:identifier                     "renew-passport"; @id <base>/services/<slug>
    title, description    dct:title, dct:description         @ar and @en literals
    ministry              cv:hasCompetentAuthority           cv:PublicOrganisation <base>/ministries/<code>,
                                                             skos:prefLabel and dct:title @ar/@en,
                                                             dct:identifier, dct:spatial
    channels              cv:hasChannel                      cv:Channel: dct:type (a portal:channel-* concept),
                                                             dct:identifier (the kind), cv:ownedBy the ministry,
                                                             dct:title, schema:url, schema:openingHours
                                                             ("Su,Mo,Tu,We,Th 07:30-14:30")
    fees                  cv:hasCost                         cv:Cost: cv:hasValue "1.500"^^xsd:double,
                                                             portal:amount "1.500"^^xsd:decimal (exact),
                                                             cv:currency <.../authority/currency/OMR>,
                                                             cv:ifAccessedThrough the cv:Channel, dct:description
    evidence              cpsv:hasInput                      cv:Evidence: dct:title, dct:description
    output                cpsv:produces                      cv:Output: dct:title
    eligibility           cv:holdsRequirement                cv:Requirement: dct:title, dct:description
    legal_basis           cv:hasLegalResource                eli:LegalResource: dct:title, dct:identifier, schema:url
    life_events           cv:isGroupedBy                     cv:LifeEvent <base>/life-events/<code>: dct:title
    audience              dct:audience (CPSV-AP "addressee") a portal:audience-* concept
    target_days           cv:processingTime                  "P5D"^^xsd:duration (working days, see below)
    keywords, synonyms    dcat:keyword                       @ar or @en literals
    version               owl:versionInfo                    "3"
    (constant)            dct:language                       <.../authority/language/ARA>, <.../ENG>
    (constant)            dct:spatial                        <.../authority/country/OMN>

Every vocabulary value the document uses (the EU authority tables' language, country and currency, the portal's
audiences and channel types) is a top-level node typed as the CPSV-AP shapes ask (skos:Concept, and
dct:LinguisticSystem or dct:Location) with its skos:prefLabel in Arabic and English, so the document validates on
its own, offline, under the official CPSV-AP 3.2.0 SHACL shapes (tests/data/cpsv-ap-3.2.0).

Deviations, deliberate: CPSV-AP's shapes type cv:hasValue as xsd:double, which cannot hold most baisa amounts
exactly, so the exact amount is repeated as portal:amount (xsd:decimal, three decimals). Opening hours use
schema:openingHours text instead of CPSV-AP's cv:openingHours -> time:TemporalEntity structure. cv:sector is not
emitted: the catalogue has no NACE sector for a service. Portal-specific facts live under `portal:`
(https://portal.gov.om/ns#): portal:maturity, portal:targetWorkingDays (xsd:integer), portal:amount,
portal:originalRequired (on evidence) and portal:illustrative (on a cost whose amount is an example, not a tariff).
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import quote

from shared.contracts.base import Bilingual
from shared.contracts.catalog import Channel, ChannelKind, ServiceRecord
from shared.web.spreadsheet import csv_text

Node = dict[str, Any]

PORTAL_NS = "https://portal.gov.om/ns#"
_AUTHORITY = "http://publications.europa.eu/resource/authority/"

CONTEXT: dict[str, str] = {
    "cpsv": "http://purl.org/vocab/cpsv#",
    "cv": "http://data.europa.eu/m8g/",
    "dct": "http://purl.org/dc/terms/",
    "dcat": "http://www.w3.org/ns/dcat#",
    "eli": "http://data.europa.eu/eli/ontology#",
    "schema": "http://schema.org/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "portal": PORTAL_NS,
}

CHANNEL_KINDS: tuple[ChannelKind, ...] = ("online", "service_centre", "ministry_office")
_SCHEMA_DAYS = {"sun": "Su", "mon": "Mo", "tue": "Tu", "wed": "We", "thu": "Th", "fri": "Fr", "sat": "Sa"}
_ARABIC = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]")
_BAISA = Decimal("0.001")

LIFE_EVENT_TITLES: dict[str, Bilingual] = {
    code: Bilingual(ar=ar, en=en) for code, ar, en in (
        ("birth", "الولادة", "Birth"),
        ("education", "التعليم", "Education"),
        ("work", "العمل", "Work"),
        ("marriage", "الزواج", "Marriage"),
        ("housing", "السكن", "Housing"),
        ("driving", "القيادة", "Driving"),
        ("travel", "السفر", "Travel"),
        ("health", "الصحة", "Health"),
        ("business", "الأعمال", "Business"),
        ("retirement", "التقاعد", "Retirement"),
        ("death", "الوفاة", "Death"),
        ("residency", "الإقامة", "Residency"),
        ("vehicle", "المركبات", "Vehicles"),
        ("family", "الأسرة", "Family"),
    )
}
_ELIGIBILITY = Bilingual(ar="شروط الأهلية", en="Eligibility")


@dataclass(frozen=True)
class Concept:
    """A vocabulary value the document uses, with the classes the CPSV-AP shapes expect of it."""

    iri: str
    scheme: str
    label: Bilingual
    classes: tuple[str, ...] = ("skos:Concept",)


def _authority(table: str, code: str, ar: str, en: str, *classes: str) -> Concept:
    return Concept(f"{_AUTHORITY}{table}/{code}", f"{_AUTHORITY}{table}", Bilingual(ar=ar, en=en),
                   ("skos:Concept", *classes))


def _portal(scheme: str, code: str, ar: str, en: str) -> Concept:
    return Concept(f"{PORTAL_NS}{scheme}-{code.replace('_', '-')}", f"{PORTAL_NS}{scheme}s", Bilingual(ar=ar, en=en))


_ARABIC_LANGUAGE = _authority("language", "ARA", "العربية", "Arabic", "dct:LinguisticSystem")
_ENGLISH_LANGUAGE = _authority("language", "ENG", "الإنجليزية", "English", "dct:LinguisticSystem")
_OMAN = _authority("country", "OMN", "عُمان", "Oman", "dct:Location")
_RIAL = _authority("currency", "OMR", "ريال عماني", "Omani rial")
AUDIENCES: dict[str, Concept] = {code: _portal("audience", code, ar, en) for code, ar, en in (
    ("citizen", "المواطنون", "Citizens"), ("resident", "المقيمون", "Residents"),
    ("business", "المنشآت التجارية", "Businesses"))}
CHANNEL_TYPES: dict[str, Concept] = {code: _portal("channel", code, ar, en) for code, ar, en in (
    ("online", "عبر الإنترنت", "Online"), ("service_centre", "مركز خدمة", "Service centre"),
    ("ministry_office", "مكتب الوزارة", "Ministry office"))}


def _omr(amount: Decimal) -> str:
    """Rials with exactly three decimals (1000 baisa to the rial): Decimal("1.5") -> "1.500"."""
    return f"{amount.quantize(_BAISA, rounding=ROUND_HALF_UP):f}"


def _segment(value: str) -> str:
    return quote(value, safe="")


def _texts(text: Bilingual | None) -> list[Node]:
    """A bilingual text as language-tagged literals, leaving out a side that is blank."""
    if text is None:
        return []
    return [{"@value": value, "@language": lang} for lang, value in (("ar", text.ar), ("en", text.en))
            if value.strip()]


def _language_of(word: str) -> str:
    return "ar" if _ARABIC.search(word) else "en"


def _keywords(record: ServiceRecord) -> list[Node]:
    tagged = [(word, _language_of(word)) for word in record.keywords]
    tagged += [(word, "ar") for word in record.synonyms.ar] + [(word, "en") for word in record.synonyms.en]
    seen: set[tuple[str, str]] = set()
    keywords: list[Node] = []
    for word, lang in tagged:
        word = word.strip()
        if word and (word, lang) not in seen:
            seen.add((word, lang))
            keywords.append({"@value": word, "@language": lang})
    return keywords


def _with(node: Node, optional: dict[str, Any]) -> Node:
    """The node plus every optional property that has a value; empty lists and None are left out."""
    node.update((key, value) for key, value in optional.items() if value is not None and value != [])
    return node


def _opening_hours(channel: Channel) -> list[str]:
    return [f"{','.join(_SCHEMA_DAYS[day] for day in hours.days)} {hours.opens}-{hours.closes}"
            for hours in channel.hours if hours.days]


def _boolean(value: bool) -> Node:
    return {"@value": "true" if value else "false", "@type": "xsd:boolean"}


def _channels(record: ServiceRecord, service_id: str, ministry_id: str) -> tuple[list[Node], dict[str, list[str]]]:
    """The cv:Channel nodes and their IRIs by kind.

    A fee may name a channel the record does not list (the draft allows fees without channels): that kind gets a
    bare channel node, so every cv:ifAccessedThrough points at a node in the document.
    """
    listed = {c.kind for c in record.channels}
    unlisted = [kind for kind in dict.fromkeys(f.channel for f in record.fees) if kind not in listed]
    entries: list[tuple[ChannelKind, Channel | None]] = [(c.kind, c) for c in record.channels]
    entries += [(kind, None) for kind in unlisted]
    nodes: list[Node] = []
    by_kind: dict[str, list[str]] = {}
    for kind, channel in entries:
        ids = by_kind.setdefault(kind, [])
        fragment = kind.replace("_", "-") + (f"-{len(ids) + 1}" if ids else "")
        ids.append(f"{service_id}#channel-{fragment}")
        node: Node = {"@id": ids[-1], "@type": "cv:Channel", "dct:identifier": kind,
                      "dct:type": {"@id": CHANNEL_TYPES[kind].iri},
                      "cv:ownedBy": {"@id": ministry_id}}
        if channel is not None:
            _with(node, {"dct:title": _texts(channel.name),
                         "schema:url": {"@id": channel.url} if channel.url else None,
                         "schema:openingHours": _opening_hours(channel)})
        nodes.append(node)
    return nodes, by_kind


def _costs(record: ServiceRecord, service_id: str, channel_ids: dict[str, list[str]]) -> list[Node]:
    """One cv:Cost per fee and channel it applies to: cv:ifAccessedThrough takes a single channel."""
    costs: list[Node] = []
    for fee in record.fees:
        for channel_id in channel_ids[fee.channel]:
            number = len(costs) + 1
            costs.append(_with({
                "@id": f"{service_id}#cost-{number}",
                "@type": "cv:Cost",
                "dct:identifier": f"{record.slug}-cost-{number}",
                "cv:hasValue": {"@value": _omr(fee.amount_omr), "@type": "xsd:double"},
                "portal:amount": {"@value": _omr(fee.amount_omr), "@type": "xsd:decimal"},
                "cv:currency": {"@id": _RIAL.iri},
                "cv:ifAccessedThrough": {"@id": channel_id},
                "portal:illustrative": _boolean(fee.illustrative),
            }, {"dct:description": _texts(fee.description)}))
    return costs


def _evidence(record: ServiceRecord, service_id: str) -> list[Node]:
    return [_with({"@id": f"{service_id}#evidence-{i}", "@type": "cv:Evidence",
                   "dct:identifier": f"{record.slug}-evidence-{i}",
                   "portal:originalRequired": _boolean(item.original_required)},
                  {"dct:title": _texts(item.name), "dct:description": _texts(item.description)})
            for i, item in enumerate(record.evidence, start=1)]


def _legal_resources(record: ServiceRecord, service_id: str) -> list[Node]:
    return [_with({"@id": f"{service_id}#legal-{i}", "@type": "eli:LegalResource"},
                  {"dct:title": _texts(item.title), "dct:identifier": item.reference,
                   "schema:url": {"@id": item.url} if item.url else None})
            for i, item in enumerate(record.legal_basis, start=1)]


def _output(record: ServiceRecord, service_id: str) -> Node | None:
    if record.output is None:
        return None
    return {"@id": f"{service_id}#output", "@type": "cv:Output", "dct:identifier": f"{record.slug}-output",
            "dct:title": _texts(record.output)}


def _requirement(record: ServiceRecord, service_id: str) -> Node | None:
    if record.eligibility is None:
        return None
    return {"@id": f"{service_id}#eligibility", "@type": "cv:Requirement",
            "dct:identifier": f"{record.slug}-eligibility", "dct:title": _texts(_ELIGIBILITY),
            "dct:description": _texts(record.eligibility)}


def _life_event(base_url: str, code: str) -> Node:
    return _with({"@id": f"{base_url}/life-events/{_segment(code)}", "@type": "cv:LifeEvent", "dct:identifier": code},
                 {"dct:title": _texts(LIFE_EVENT_TITLES.get(code))})


def _service(record: ServiceRecord, base_url: str) -> Node:
    service_id = f"{base_url}/services/{_segment(record.slug)}"
    ministry_id = f"{base_url}/ministries/{_segment(record.ministry)}"
    channels, channel_ids = _channels(record, service_id, ministry_id)
    node: Node = {
        "@id": service_id,
        "@type": "cpsv:PublicService",
        "dct:identifier": record.slug,
        "dct:title": _texts(record.title),
        "dct:description": _texts(record.description),
        "cv:hasCompetentAuthority": {"@id": ministry_id},
        "dct:language": [{"@id": language.iri} for language in (_ARABIC_LANGUAGE, _ENGLISH_LANGUAGE)],
        "dct:spatial": {"@id": _OMAN.iri},
        "owl:versionInfo": str(record.version),
        "portal:maturity": record.maturity,
        "portal:targetWorkingDays": {"@value": str(record.target_days), "@type": "xsd:integer"},
    }
    if record.target_days > 0:
        # ISO 8601 has no working-day designator: "P5D" here means five WORKING days (Sunday to Thursday in
        # Oman), the catalogue's target, not five calendar days; portal:targetWorkingDays says so unambiguously.
        node["cv:processingTime"] = {"@value": f"P{record.target_days}D", "@type": "xsd:duration"}
    return _with(node, {
        "dcat:keyword": _keywords(record),
        "dct:audience": [{"@id": AUDIENCES[who].iri} for who in dict.fromkeys(record.audience)],
        "cv:hasChannel": channels,
        "cv:hasCost": _costs(record, service_id, channel_ids),
        "cpsv:hasInput": _evidence(record, service_id),
        "cpsv:produces": _output(record, service_id),
        "cv:holdsRequirement": _requirement(record, service_id),
        "cv:hasLegalResource": _legal_resources(record, service_id),
        "cv:isGroupedBy": [_life_event(base_url, code) for code in dict.fromkeys(record.life_events)],
    })


def _organisations(records: Iterable[ServiceRecord], base_url: str) -> list[Node]:
    """One cv:PublicOrganisation per ministry code; the first record that names it gives its labels."""
    names: dict[str, Bilingual] = {}
    for record in records:
        names.setdefault(record.ministry, record.ministry_name)
    return [{"@id": f"{base_url}/ministries/{_segment(code)}", "@type": "cv:PublicOrganisation",
             "dct:identifier": code, "skos:prefLabel": _texts(name), "dct:title": _texts(name),
             "dct:spatial": {"@id": _OMAN.iri}}
            for code, name in names.items()]


def _concepts(records: Sequence[ServiceRecord]) -> list[Node]:
    """The vocabulary values the services point at, each once, typed and labelled."""
    used = [_ARABIC_LANGUAGE, _ENGLISH_LANGUAGE, _OMAN]
    used += [_RIAL] if any(record.fees for record in records) else []
    used += [AUDIENCES[who] for who in dict.fromkeys(who for record in records for who in record.audience)]
    used += [CHANNEL_TYPES[kind] for kind in dict.fromkeys(
        kind for record in records for kind in [*(c.kind for c in record.channels), *(f.channel for f in record.fees)])]
    return [{"@id": concept.iri, "@type": list(concept.classes), "skos:prefLabel": _texts(concept.label),
             "skos:inScheme": {"@id": concept.scheme}} for concept in used]


def catalogue_jsonld(records: Sequence[ServiceRecord], base_url: str) -> dict[str, Any]:
    """The catalogue as a CPSV-AP 3.x JSON-LD document; `base_url` is where the portal's IRIs live."""
    base = base_url.rstrip("/")
    return {"@context": dict(CONTEXT),
            "@graph": [*_organisations(records, base), *(_service(record, base) for record in records),
                       *_concepts(records)]}


CSV_COLUMNS = ("slug", "ministry", "ministry_name_ar", "ministry_name_en", "title_ar", "title_en", "maturity",
               "audience", "life_events", "target_days", "channels", "fee_online_omr", "fee_service_centre_omr",
               "fee_ministry_office_omr", "evidence_count", "steps_count", "version")
def _fees_by_channel(record: ServiceRecord) -> dict[str, str]:
    """What a citizen pays through each channel: the sum of the fees for it, or empty when it has none."""
    totals: dict[str, Decimal] = {}
    for fee in record.fees:
        totals[fee.channel] = totals.get(fee.channel, Decimal(0)) + fee.amount_omr
    return {f"fee_{kind}_omr": _omr(totals[kind]) if kind in totals else "" for kind in CHANNEL_KINDS}


def _row(record: ServiceRecord) -> dict[str, str]:
    row = {
        "slug": record.slug,
        "ministry": record.ministry,
        "ministry_name_ar": record.ministry_name.ar,
        "ministry_name_en": record.ministry_name.en,
        "title_ar": record.title.ar,
        "title_en": record.title.en,
        "maturity": record.maturity,
        "audience": ";".join(dict.fromkeys(record.audience)),
        "life_events": ";".join(dict.fromkeys(record.life_events)),
        "target_days": str(record.target_days),
        "channels": ";".join(dict.fromkeys(c.kind for c in record.channels)),
        **_fees_by_channel(record),
        "evidence_count": str(len(record.evidence)),
        "steps_count": str(len(record.steps)),
        "version": str(record.version),
    }
    return row


def catalogue_csv(records: Sequence[ServiceRecord]) -> str:
    """The catalogue as RFC 4180 CSV text (CRLF, header row, one row per service); no BOM, the route adds it."""
    rows = (_row(record) for record in records)
    return csv_text([CSV_COLUMNS, *([row[column] for column in CSV_COLUMNS] for row in rows)])
