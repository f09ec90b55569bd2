"""Proactive services: which issued document leads to which offer, when, and with which answers filled in.

A renewal rule names the service that renews a document type and how many days before the expiry the
citizen is offered it; a life-event rule names the services that usually follow a document (a birth, a new
vehicle). Each rule fills the form from the document, so the citizen submits in one step when nothing is
missing.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from shared.contracts.catalog import ServiceRecord


@dataclass(frozen=True)
class Document:
    id: str
    ministry: str
    citizen: str
    document_type: str
    number: str
    issued_on: date
    expires_on: date | None
    tracking_number: str | None = None


Prefill = Callable[[Document], dict[str, Any]]


@dataclass(frozen=True)
class RenewalRule:
    service: str
    days_ahead: int
    prefill: Prefill


@dataclass(frozen=True)
class LifeEventRule:
    life_event: str
    services: tuple[tuple[str, Prefill], ...]


def _nothing(_: Document) -> dict[str, Any]:
    return {}


RENEWALS: dict[str, RenewalRule] = {
    "driving_licence": RenewalRule("renew-driving-licence", 30, lambda d: {"licence_number": d.number}),
    "passport": RenewalRule("issue-renew-passport", 180, lambda d: {
        "civil_number": d.citizen, "request_type": "renewal", "previous_passport_number": d.number}),
    "civil_id": RenewalRule("issue-renew-civil-id-card", 90, lambda d: {
        "civil_number": d.citizen, "request_type": "renewal"}),
    "vehicle_registration": RenewalRule("renew-vehicle-registration", 30, lambda d: {"plate_number": d.number}),
    "resident_card": RenewalRule("renew-resident-card", 60, lambda d: {"resident_civil_number": d.citizen}),
    "commercial_registration": RenewalRule("renew-commercial-registration", 30, lambda d: {"cr_number": d.number}),
    "municipal_licence": RenewalRule("renew-municipal-licence", 30, lambda d: {"licence_number": d.number}),
}

# A suggestion is made only for a service the catalogue has published.
LIFE_EVENTS: dict[str, LifeEventRule] = {
    "birth_certificate": LifeEventRule("birth", (
        ("child-benefit", lambda d: {"guardian_civil_number": d.citizen}),
        ("issue-child-health-card", _nothing),
    )),
    "vehicle_ownership": LifeEventRule("vehicle", (
        ("register-new-vehicle", lambda d: {"chassis_number": d.number}),
    )),
}


def issues(service: ServiceRecord, document_type: str) -> bool:
    """A service issues the documents it declares and the type a renewal rule names it for."""
    rule = RENEWALS.get(document_type)
    return document_type in service.issues_documents or (rule is not None and rule.service == service.slug)


def renewal_for(document: Document) -> RenewalRule | None:
    return RENEWALS.get(document.document_type)


def renewal_is_due(document: Document, rule: RenewalRule, today: date) -> bool:
    """Due from `days_ahead` days before the expiry on (an already expired document still needs renewing)."""
    return document.expires_on is not None and today >= document.expires_on - timedelta(days=rule.days_ahead)


def renewal_key(document: Document) -> str:
    """One renewal offer per document and expiry: a renewed document with a new expiry gets a new offer."""
    assert document.expires_on is not None
    return f"renewal:{document.id}:{document.expires_on.isoformat()}"


def life_event_key(document: Document, service: str) -> str:
    return f"life_event:{document.id}:{service}"


def fit_prefill(service: ServiceRecord, prefill: dict[str, Any]) -> dict[str, Any]:
    """Only answers the service's form asks for: a rule never submits a field the form does not know."""
    names = {f.name for f in service.form}
    return {name: value for name, value in prefill.items() if name in names}


def missing_fields(service: ServiceRecord, prefill: dict[str, Any]) -> list[str]:
    return [f.name for f in service.form if f.required and prefill.get(f.name) in (None, "", [])]
