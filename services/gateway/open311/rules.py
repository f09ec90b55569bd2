"""How the portal reads as Open311 GeoReport v2: services, definitions, requests, statuses, queries. No I/O.

A catalogue service is an Open311 service (service_code = slug, group = ministry); its form fields are the
attributes of its definition; a citizen's request is a service request (service_request_id = tracking number),
open until the ministry completes or rejects it or the citizen cancels it.
"""

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from services.gateway.domain import CLOSED_STATUSES
from services.gateway.open311.models import (
    Datatype,
    Open311Attribute,
    Open311Request,
    Open311Service,
    Open311ServiceDefinition,
    Open311Value,
)
from services.gateway.ui.forms import read_answers
from shared.contracts.base import Bilingual
from shared.contracts.catalog import FormField, ServiceRecord
from shared.web import Problem

Lang = Literal["ar", "en"]
MAX_RESULTS = 1000
WINDOW = timedelta(days=90)
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"

DATATYPES: dict[str, Datatype] = {
    "text": "text", "national_id": "string", "phone": "string", "email": "string", "file": "string",
    "number": "number", "date": "datetime", "choice": "singlevaluelist", "boolean": "singlevaluelist",
    "multi_choice": "multivaluelist",
}
# Short text fields read as Open311 "string"; free text (no limit, or a long one) as "text".
_STRING_UP_TO = 200
_HINTS: dict[str, str] = {
    "national_id": "A civil number of 6 to 10 digits.",
    "phone": "A phone number: Omani (9123 4567, +968 9123 4567, 00968 …) or another country's with its code.",
    "email": "An e-mail address; internationalised domains are fine.",
    "file": "A reference to the document (its number or a link).",
    "date": "A date, YYYY-MM-DD; a W3C date-time counts as its date.",
    "number": "A number.",
    "multi_choice": "One or more of the keys below, each as attribute[code][]=key.",
}
_ANSWER_PROBLEMS = {
    "required": "is required", "bad_number": "must be a number", "too_small": "is below the minimum",
    "too_large": "is above the maximum", "bad_date": "must be a date (YYYY-MM-DD)",
    "bad_choice": "must be one of the listed keys", "bad_national_id": "must be a civil number of 6 to 10 digits",
    "bad_phone": "must be a phone number (Omani, or with its country code)", "bad_email": "must be an e-mail address",
    "too_short": "is too short", "too_long": "is too long", "invalid": "is not valid",
}
_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")


def text(value: Bilingual | None, lang: Lang) -> str:
    """The text in the language asked for, or the other one when that side is blank."""
    if value is None:
        return ""
    first, second = (value.en, value.ar) if lang == "en" else (value.ar, value.en)
    return first.strip() or second.strip()


def open_or_closed(status: str) -> Literal["open", "closed"]:
    return "closed" if status in CLOSED_STATUSES else "open"


def service_entry(record: ServiceRecord, lang: Lang) -> Open311Service:
    keywords = [*record.keywords, *(record.synonyms.en if lang == "en" else record.synonyms.ar)]
    return Open311Service(
        service_code=record.slug, service_name=text(record.title, lang), description=text(record.description, lang),
        metadata=bool(record.form), type="batch" if record.maturity == "manual" else "realtime",
        keywords=", ".join(dict.fromkeys(k.replace(",", " ").strip() for k in keywords if k.strip())),
        group=text(record.ministry_name, lang))


def datatype_of(field: FormField) -> Datatype:
    if field.kind == "text" and field.max_length is not None and field.max_length <= _STRING_UP_TO:
        return "string"
    return DATATYPES[field.kind]


def _values(field: FormField, lang: Lang) -> list[Open311Value]:
    if field.kind == "boolean":
        yes, no = ("Yes", "No") if lang == "en" else ("نعم", "لا")
        return [Open311Value(key="true", name=yes), Open311Value(key="false", name=no)]
    return [Open311Value(key=choice, name=choice) for choice in field.choices]


def _limits(field: FormField) -> str | None:
    parts = []
    if field.minimum is not None:
        parts.append(f"at least {field.minimum:g}")
    if field.maximum is not None:
        parts.append(f"at most {field.maximum:g}")
    if field.min_length is not None:
        parts.append(f"at least {field.min_length} characters")
    if field.max_length is not None:
        parts.append(f"at most {field.max_length} characters")
    return f"{', '.join(parts).capitalize()}." if parts else None


def attribute(field: FormField, order: int, lang: Lang) -> Open311Attribute:
    described = " ".join(part for part in (text(field.help, lang) or None, _HINTS.get(field.kind), _limits(field))
                         if part)
    return Open311Attribute(variable=True, code=field.name, datatype=datatype_of(field),
                            required=field.required and field.kind != "boolean",
                            datatype_description=described or None, order=order,
                            description=text(field.label, lang), values=_values(field, lang))


def definition(record: ServiceRecord, lang: Lang) -> Open311ServiceDefinition:
    return Open311ServiceDefinition(service_code=record.slug, attributes=[
        attribute(field, order, lang) for order, field in enumerate(record.form, start=1)])


def w3c(value: str | datetime | None) -> str | None:
    """A W3C date-time in UTC ("2026-03-01T08:30:00Z"), as GeoReport v2 writes them."""
    if value is None or value == "":
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _status_notes(view: Mapping[str, Any]) -> str | None:
    if view.get("status") == "action_required" and view.get("action_note"):
        return str(view["action_note"])
    applied = [item for item in view.get("history") or [] if item.get("applied", True)]
    return str(applied[-1]["note"]) if applied and applied[-1].get("note") else None


def request_entry(view: Mapping[str, Any], record: ServiceRecord | None, lang: Lang) -> Open311Request:
    """A request as the requests service shows it to its citizen, without the form's answers."""
    status = open_or_closed(str(view["status"]))
    expected = view.get("expected_completion") or view.get("due_on")
    return Open311Request(
        service_request_id=str(view["tracking_number"]), status=status, status_notes=_status_notes(view),
        service_name=text(record.title, lang) if record else None, service_code=str(view["service"]),
        agency_responsible=text(record.ministry_name, lang) if record else str(view["ministry"]),
        requested_datetime=w3c(view["submitted_at"]) or "", updated_datetime=w3c(view["updated_at"]) or "",
        expected_datetime=w3c(expected) if status == "open" else None)


@dataclass(frozen=True)
class RequestQuery:
    ids: tuple[str, ...]
    service_codes: frozenset[str]
    statuses: frozenset[str]
    start: datetime
    end: datetime


def _listed(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def _moment(name: str, value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace(" ", "+"))
    except ValueError as exc:
        raise Problem(400, "invalid-date", f"{name} must be a W3C date-time, e.g. 2026-03-01T00:00:00Z.") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def request_query(service_request_id: str | None, service_code: str | None, start_date: str | None,
                  end_date: str | None, status: str | None, now: datetime) -> RequestQuery:
    """The spec's query: ids override the rest; the dates default to the last 90 days and span at most 90."""
    statuses = frozenset(_listed(status))
    if statuses - {"open", "closed"}:
        raise Problem(400, "invalid-status", "status is open, closed, or both (comma-separated).")
    given_start, given_end = _moment("start_date", start_date), _moment("end_date", end_date)
    try:
        end = given_end or (given_start + WINDOW if given_start else now)
        start = given_start or end - WINDOW
    except OverflowError as exc:
        raise Problem(400, "invalid-date", "start_date and end_date must be dates in the calendar.") from exc
    if end < start:
        raise Problem(400, "invalid-date-range", "end_date is before start_date.")
    if end - start > WINDOW:
        raise Problem(400, "date-range-too-long", "start_date and end_date may span at most 90 days.")
    ids = tuple(dict.fromkeys(_listed(service_request_id)))[:MAX_RESULTS]
    return RequestQuery(ids, frozenset(_listed(service_code)), statuses, start, end)


def select(views: Sequence[Mapping[str, Any]], query: RequestQuery) -> list[Mapping[str, Any]]:
    """The citizen's requests the query asks for, newest first, at most 1,000."""
    if query.ids:
        by_number = {str(view["tracking_number"]): view for view in views}
        return [by_number[number] for number in query.ids if number in by_number]
    chosen = [view for view in views
              if (not query.service_codes or view["service"] in query.service_codes)
              and (not query.statuses or open_or_closed(str(view["status"])) in query.statuses)
              and query.start <= datetime.fromisoformat(str(view["submitted_at"])).astimezone(UTC) <= query.end]
    chosen.sort(key=lambda view: str(view["submitted_at"]), reverse=True)
    return chosen[:MAX_RESULTS]


def bearer_from(authorization: str | None) -> str | None:
    """HTTP Basic carrying the sign-in token as its password, as clients that only know Basic (or a
    user:token@host address) send it, read as the bearer token; anything else is passed on as it is."""
    if not authorization or authorization.partition(" ")[0].lower() != "basic":
        return authorization
    try:
        _, _, token = base64.b64decode(authorization.partition(" ")[2], validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise Problem(401, "unauthenticated", "The Basic credentials cannot be read.") from exc
    if not token:
        raise Problem(401, "unauthenticated", "Send the sign-in token as the password.")
    return f"Bearer {token}"


def posted_attributes(posted: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """attribute[code]=value and attribute[code][]=value (a multivaluelist) by form field name."""
    answers: dict[str, list[str]] = {}
    for key, values in posted.items():
        match = _ATTRIBUTE.match(key)
        if match:
            answers.setdefault(match.group(1), []).extend(values)
    return answers


def _as_date(value: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(value).date().isoformat()
    except ValueError:
        return value


def submitted_fields(record: ServiceRecord, attributes: Mapping[str, list[str]]) -> dict[str, Any]:
    """The request's fields from the posted attributes, read by the web form's rules; every mistake at once."""
    form = {field.name: field for field in record.form}
    unknown = sorted(set(attributes) - set(form))
    typed = {name: [_as_date(v) for v in values] if name in form and form[name].kind == "date" else values
             for name, values in attributes.items()}
    answers = read_answers([field.model_dump() for field in record.form], typed)
    errors = [{"field": name, "message": "is not an attribute of this service"} for name in unknown]
    errors += [{"field": name, "message": _ANSWER_PROBLEMS.get(key, "is not valid")}
               for name, key in answers.errors.items()]
    if errors:
        raise Problem(400, "invalid-attributes", "Some attributes are missing or not valid.", errors=errors)
    return answers.fields


def error_entries(status: int, code: str, detail: str, errors: Any = None) -> list[tuple[int, str]]:
    """The spec's error list: one entry per field problem (a form field named as its attribute[code]), else one
    for the problem itself."""
    def named(field: str) -> str:
        if field.startswith("fields.") or code == "invalid-attributes":
            return f"attribute[{field.removeprefix('fields.')}]"
        return field

    entries = [(status, f"{code}: {named(str(item['field']))} {item.get('message', 'is not valid')}")
               for item in errors or [] if isinstance(item, dict) and item.get("field")]
    return entries or [(status, f"{code}: {detail}")]
