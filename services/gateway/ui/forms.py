"""The application form: the service's form fields read from what the browser posted, checked as the
requests service will check them, so that the citizen sees every mistake at once and in their language."""

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from shared.contracts.contact import email_address, is_email_address, is_phone_number, phone_number

_NATIONAL_ID = re.compile(r"^\d{6,10}$")
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
TEXT_KINDS = ("text", "national_id", "phone", "email", "file")
CONTACT_KINDS = {"phone": phone_number, "email": email_address}


@dataclass
class Answers:
    """What the citizen typed (to show back), what will be sent, and the message key of each mistake."""

    typed: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _text_error(spec: Mapping[str, Any], value: str) -> str | None:
    kind = spec["kind"]
    if _UNSAFE.search(value):
        return "invalid"
    if kind == "national_id" and not _NATIONAL_ID.match(value):
        return "bad_national_id"
    if kind == "phone" and not is_phone_number(value):
        return "bad_phone"
    if kind == "email" and not is_email_address(value):
        return "bad_email"
    if spec.get("min_length") is not None and len(value) < spec["min_length"]:
        return "too_short"
    if spec.get("max_length") is not None and len(value) > spec["max_length"]:
        return "too_long"
    return None


def _number(spec: Mapping[str, Any], raw: str) -> tuple[float | int | None, str | None]:
    try:
        number = float(raw.translate(_DIGITS).replace(",", "."))
    except ValueError:
        return None, "bad_number"
    if not math.isfinite(number):
        return None, "bad_number"
    if spec.get("minimum") is not None and number < spec["minimum"]:
        return None, "too_small"
    if spec.get("maximum") is not None and number > spec["maximum"]:
        return None, "too_large"
    return (int(number) if number.is_integer() else number), None


def read_answers(form: Sequence[Mapping[str, Any]], posted: Mapping[str, list[str]]) -> Answers:
    answers = Answers()
    for spec in form:
        name, kind, required = spec["name"], spec["kind"], spec.get("required", True)
        values = [v.strip() for v in posted.get(name, [])]
        if kind == "multi_choice":
            chosen = [v for v in values if v]
            answers.typed[name] = chosen
            if not chosen:
                if required:
                    answers.errors[name] = "required"
                continue
            if any(v not in spec.get("choices", []) for v in chosen):
                answers.errors[name] = "bad_choice"
            answers.fields[name] = chosen
            continue
        if kind == "boolean":
            checked = bool(values) and values[0] == "true"
            answers.typed[name] = checked
            answers.fields[name] = checked
            continue
        value = values[0] if values else ""
        answers.typed[name] = value
        if not value:
            if required:
                answers.errors[name] = "required"
            continue
        if kind in TEXT_KINDS:
            if kind in ("national_id", "phone"):
                value = value.translate(_DIGITS)
            error = _text_error(spec, value)
            if not error and kind in CONTACT_KINDS:
                value = CONTACT_KINDS[kind](value)
        elif kind == "number":
            number, error = _number(spec, value)
            value = number  # type: ignore[assignment]
        elif kind == "date":
            try:
                date.fromisoformat(value)
                error = None
            except ValueError:
                error = "bad_date"
        elif kind == "choice":
            error = None if value in spec.get("choices", []) else "bad_choice"
        else:
            error = "invalid"
        if error:
            answers.errors[name] = error
        else:
            answers.fields[name] = value
    return answers


def upstream_errors(body: Any, form: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """The requests service's field errors (its 422 problem) as inline errors on the fields they name."""
    names = {spec["name"] for spec in form}
    errors: dict[str, str] = {}
    for item in body.get("errors", []) if isinstance(body, dict) else []:
        name = str(item.get("field", "")).removeprefix("fields.")
        if name in names:
            errors.setdefault(name, "required" if item.get("message") == "is required" else "invalid")
    return errors
