"""What an officer posts on a request page, read and checked before anything is sent upstream."""

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from services.gateway.workspace.access import first
from services.gateway.workspace.staff import TARGET, Action

DOCUMENT_TYPE = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
NOTE_LIMIT = 2000


@dataclass
class StatusChange:
    action: Action | None
    expected_status: str
    note: str | None = None
    fields_to_correct: list[str] = field(default_factory=list)
    document: dict[str, Any] | None = None
    errors: dict[str, str] = field(default_factory=dict)
    typed: dict[str, Any] = field(default_factory=dict)


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _text_error(value: str, limit: int) -> str | None:
    if _UNSAFE.search(value):
        return "invalid"
    return "too_long" if len(value) > limit else None


def _document(form: dict[str, list[str]], change: StatusChange) -> None:
    kind, number = first(form, "document_type").lower(), first(form, "document_number")
    issued, expires = first(form, "issued_on"), first(form, "expires_on")
    change.typed |= {"document_type": kind, "document_number": number, "issued_on": issued, "expires_on": expires}
    if not any((kind, number, issued, expires)):
        return
    if not kind:
        change.errors["document_type"] = "required"
    elif not DOCUMENT_TYPE.match(kind):
        change.errors["document_type"] = "bad_document_type"
    if not number:
        change.errors["document_number"] = "required"
    elif error := _text_error(number, 64):
        change.errors["document_number"] = error
    issued_on = _date(issued) if issued else None
    if not issued:
        change.errors["issued_on"] = "required"
    elif issued_on is None:
        change.errors["issued_on"] = "bad_date"
    expires_on = _date(expires) if expires else None
    if expires and expires_on is None:
        change.errors["expires_on"] = "bad_date"
    elif expires_on is not None and issued_on is not None and expires_on <= issued_on:
        change.errors["expires_on"] = "expires_before_issued"
    change.document = {"document_type": kind, "number": number, "issued_on": issued,
                       **({"expires_on": expires} if expires else {})}


def read_status_change(form: dict[str, list[str]], form_fields: list[str]) -> StatusChange:
    """The action, the status the page showed, and the officer's note, fields and document, checked."""
    expected = first(form, "expected_status")
    action = first(form, "action")
    chosen = next((a for a in TARGET if a == action), None)
    change = StatusChange(action=chosen, expected_status=expected)
    if change.action is None:
        change.errors["action"] = "action_not_offered"
        return change
    note = first(form, "note")
    change.typed["note"] = note
    if note:
        if error := _text_error(note, NOTE_LIMIT):
            change.errors["note"] = error
        change.note = note
    elif change.action in ("ask_info", "reject"):
        change.errors["note"] = "note_required" if change.action == "ask_info" else "reason_required"
    if change.action == "ask_info":
        names = [name for name in form.get("fields_to_correct", []) if name]
        change.typed["fields_to_correct"] = names
        if any(name not in form_fields for name in names):
            change.errors["fields_to_correct"] = "bad_choice"
        change.fields_to_correct = names
    if change.action == "complete" and expected == "approved":
        _document(form, change)
    return change


def status_body(change: StatusChange, target: str, expected: str) -> dict[str, Any]:
    body: dict[str, Any] = {"status": target, "expected_status": expected}
    if target == "received":
        return body
    if change.note:
        body["note"] = change.note
    if target == "action_required":
        body["fields_to_correct"] = change.fields_to_correct
    if target == "completed" and change.document:
        body["document"] = change.document
    return body
