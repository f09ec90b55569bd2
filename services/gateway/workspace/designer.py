"""The form designer's working copy: the fields as posted, one edit applied (add, remove, move), checked. No I/O.

Without JavaScript every button posts the whole form, so the working copy lives in the form itself until the
service manager publishes it.
"""

import re
from dataclasses import dataclass, field
from typing import Any, get_args

from shared.contracts.catalog import FieldKind, Maturity

KINDS: tuple[str, ...] = get_args(FieldKind)
MATURITIES: tuple[str, ...] = get_args(Maturity)
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_FIELDS = 60
TEXT_KINDS = ("text", "national_id", "phone", "email", "file")
CHOICE_KINDS = ("choice", "multi_choice")
_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
# What a catalogue record carries beyond what a ministry sends (ServiceDraft forbids these).
RECORD_ONLY = ("ministry", "ministry_name", "version", "digitised_on")


@dataclass
class Designed:
    fields: list[dict[str, Any]]
    maturity: str
    errors: dict[str, str] = field(default_factory=dict)


def _first(form: dict[str, list[str]], name: str) -> str:
    values = form.get(name)
    return values[0].strip() if values else ""


def _number(raw: str, errors: dict[str, str], key: str, whole: bool) -> float | int | None:
    if not raw:
        return None
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        errors[key] = "bad_number"
        return None
    if whole:
        if not value.is_integer() or value < 0:
            errors[key] = "bad_whole_number"
            return None
        return int(value)
    return int(value) if value.is_integer() else value


def field_from_record(spec: dict[str, Any]) -> dict[str, Any]:
    """A catalogue form field as the designer edits it (choices one a line)."""
    help_ = spec.get("help") or {}
    return {"name": spec["name"], "kind": spec["kind"], "label_ar": spec["label"]["ar"],
            "label_en": spec["label"]["en"], "help_ar": help_.get("ar", ""), "help_en": help_.get("en", ""),
            "required": bool(spec.get("required", True)), "choices": "\n".join(spec.get("choices") or []),
            "min_length": _shown(spec.get("min_length")), "max_length": _shown(spec.get("max_length")),
            "minimum": _shown(spec.get("minimum")), "maximum": _shown(spec.get("maximum"))}


def _shown(value: Any) -> str:
    if value is None:
        return ""
    return f"{value:g}" if isinstance(value, float) else str(value)


def blank_field(n: int) -> dict[str, Any]:
    return {"name": f"field_{n}", "kind": "text", "label_ar": "", "label_en": "", "help_ar": "", "help_en": "",
            "required": True, "choices": "", "min_length": "", "max_length": "", "minimum": "", "maximum": ""}


def read_designed(form: dict[str, list[str]]) -> Designed:
    """The working copy exactly as posted (what was typed is kept to show back)."""
    try:
        count = min(int(_first(form, "count") or 0), MAX_FIELDS)
    except ValueError:
        count = 0
    fields = []
    for i in range(count):
        def get(key: str, i: int = i) -> str:
            return _first(form, f"f{i}-{key}")
        fields.append({"name": get("name"), "kind": get("kind"), "label_ar": get("label_ar"),
                       "label_en": get("label_en"), "help_ar": get("help_ar"), "help_en": get("help_en"),
                       "required": get("required") == "true", "choices": get("choices"),
                       "min_length": get("min_length"), "max_length": get("max_length"),
                       "minimum": get("minimum"), "maximum": get("maximum")})
    return Designed(fields, _first(form, "maturity"))


def apply_edit(designed: Designed, op: str) -> None:
    """add | remove:N | up:N | down:N; anything else leaves the fields as they are."""
    verb, _, index_text = op.partition(":")
    if verb == "add":
        if len(designed.fields) < MAX_FIELDS:
            designed.fields.append(blank_field(len(designed.fields) + 1))
        return
    if not index_text.isdigit() or int(index_text) >= len(designed.fields):
        return
    i = int(index_text)
    if verb == "remove":
        designed.fields.pop(i)
    elif verb == "up" and i > 0:
        designed.fields[i - 1], designed.fields[i] = designed.fields[i], designed.fields[i - 1]
    elif verb == "down" and i < len(designed.fields) - 1:
        designed.fields[i + 1], designed.fields[i] = designed.fields[i], designed.fields[i + 1]


def _check_text(value: str, limit: int, key: str, errors: dict[str, str], required: bool = True) -> None:
    if not value:
        if required:
            errors[key] = "required"
    elif _UNSAFE.search(value):
        errors[key] = "invalid"
    elif len(value) > limit:
        errors[key] = "too_long"


def catalogue_form(designed: Designed) -> list[dict[str, Any]]:
    """The fields as the catalogue takes them; every mistake is put in `designed.errors` (keyed f{i}-{part})."""
    errors = designed.errors
    if designed.maturity not in MATURITIES:
        errors["maturity"] = "bad_choice"
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, spec in enumerate(designed.fields):
        key = f"f{i}-"
        name, kind = spec["name"], spec["kind"]
        if not FIELD_NAME.match(name):
            errors[key + "name"] = "bad_field_name"
        elif name in seen:
            errors[key + "name"] = "duplicate_field_name"
        seen.add(name)
        if kind not in KINDS:
            errors[key + "kind"] = "bad_choice"
        for part in ("label_ar", "label_en"):
            _check_text(spec[part], 200, key + part, errors)
        for part in ("help_ar", "help_en"):
            _check_text(spec[part], 500, key + part, errors, required=False)
        if bool(spec["help_ar"]) != bool(spec["help_en"]):
            errors[key + ("help_en" if spec["help_ar"] else "help_ar")] = "both_languages"
        choices = [c.strip() for c in spec["choices"].splitlines() if c.strip()]
        if kind in CHOICE_KINDS and not choices:
            errors[key + "choices"] = "choices_required"
        if any(_UNSAFE.search(c) or len(c) > 100 for c in choices) or len(choices) > 50:
            errors[key + "choices"] = "invalid"
        item: dict[str, Any] = {"name": name, "kind": kind,
                                "label": {"ar": spec["label_ar"], "en": spec["label_en"]},
                                "required": spec["required"],
                                "choices": choices if kind in CHOICE_KINDS else []}
        if spec["help_ar"] and spec["help_en"]:
            item["help"] = {"ar": spec["help_ar"], "en": spec["help_en"]}
        low = _number(spec["min_length"], errors, key + "min_length", whole=True)
        high = _number(spec["max_length"], errors, key + "max_length", whole=True)
        if kind in TEXT_KINDS:
            item |= {"min_length": low, "max_length": high}
            if low is not None and high is not None and low > high:
                errors[key + "max_length"] = "max_below_min"
        least = _number(spec["minimum"], errors, key + "minimum", whole=False)
        most = _number(spec["maximum"], errors, key + "maximum", whole=False)
        if kind == "number":
            item |= {"minimum": least, "maximum": most}
            if least is not None and most is not None and least > most:
                errors[key + "maximum"] = "max_below_min"
        out.append(item)
    return out


def service_draft(latest: dict[str, Any], form: list[dict[str, Any]], maturity: str) -> dict[str, Any]:
    """The catalogue's whole service description with the new form and maturity: what PUT publishes."""
    draft = {k: v for k, v in latest.items() if k not in RECORD_ONLY}
    draft["form"], draft["maturity"] = form, maturity
    channels = list(draft.get("channels") or [])
    # A digitised service is offered online: the catalogue refuses an online maturity without that channel.
    if maturity != "manual" and channels and not any(c.get("kind") == "online" for c in channels):
        draft["channels"] = [{"kind": "online"}, *channels]
    return draft


def preview_fields(fields: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """The working copy as the citizen's form shows it, in one language (typed mistakes shown as typed)."""
    shown = []
    for spec in fields:
        shown.append({"name": spec["name"] or "field", "kind": spec["kind"],
                      "label": spec[f"label_{lang}"] or spec["name"], "help": spec[f"help_{lang}"],
                      "required": spec["required"],
                      "choices": [c.strip() for c in spec["choices"].splitlines() if c.strip()]})
    return shown
