"""Request rules: tracking numbers, the lifecycle, form validation and due dates."""

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any, Literal

from shared.contracts.base import has_unsafe_characters
from shared.contracts.catalog import FormField, ServiceRecord
from shared.contracts.contact import email_address, is_email_address, is_phone_number, phone_number
from shared.contracts.tracking import EXAMPLE, check_tracking_number

Status = Literal["submitted", "received", "in_review", "action_required", "approved", "rejected",
                 "completed", "cancelled"]
Actor = Literal["citizen", "ministry"]


class RequestError(Exception):
    status = 400

    def __init__(self, code: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.code, self.detail, self.extra = code, detail, extra


class NotFound(RequestError):
    status = 404


class Forbidden(RequestError):
    status = 403


class Conflict(RequestError):
    status = 409


class Invalid(RequestError):
    status = 422


class Unavailable(RequestError):
    status = 503


def parse_tracking_number(text: str) -> str:
    """The canonical tracking number, or RequestError saying what is wrong with what was typed."""
    candidate, problem = check_tracking_number(text)
    if problem == "malformed":
        raise Invalid("tracking-number-malformed",
                      f"A tracking number looks like {EXAMPLE}: ministry, year, number, check character.")
    if problem == "mistyped":
        raise Invalid("tracking-number-mistyped",
                      "This tracking number has a typing mistake: please check each character again.")
    return candidate


class Outcome(Enum):
    APPLY = "apply"
    STALE = "stale"
    ILLEGAL = "illegal"


_MOVES: dict[tuple[str, str], set[str]] = {
    ("submitted", "ministry"): {"received"},
    ("submitted", "citizen"): {"cancelled"},
    ("received", "ministry"): {"in_review"},
    ("received", "citizen"): {"cancelled"},
    ("in_review", "ministry"): {"action_required", "approved", "rejected"},
    ("action_required", "ministry"): {"in_review", "rejected"},
    ("action_required", "citizen"): {"in_review"},
    ("approved", "ministry"): {"completed"},
    ("rejected", "ministry"): {"completed"},
}
_RANK = {"submitted": 0, "received": 1, "in_review": 2, "action_required": 2, "approved": 3, "rejected": 3,
         "completed": 4, "cancelled": 4}
OPEN_STATUSES = frozenset({"submitted", "received", "in_review", "action_required", "approved", "rejected"})
# The service's target time runs until the ministry decides; issuing the outcome after that is not late.
AWAITING_DECISION = frozenset({"submitted", "received", "in_review", "action_required"})


# A request is overdue while it is in one of these statuses past its due date (the store's SQL is built from this):
# still awaiting a decision, or approved and never completed (the citizen has not received what was approved; a
# rejection needs nothing more for the citizen).
OVERDUE_STATUSES = AWAITING_DECISION | {"approved"}


def is_overdue(status: str, due_on: datetime, now: datetime) -> bool:
    return status in OVERDUE_STATUSES and due_on < now


def decide(current: str, target: str, actor: Actor, history: list[str]) -> Outcome:
    """Whether a move applies; a move the request has already passed is stale (recorded, ignored)."""
    if target in _MOVES.get((current, actor), set()):
        return Outcome.APPLY
    if target in history or _RANK.get(target, 99) < _RANK.get(current, 0) or current in ("completed",
                                                                                       "cancelled"):
        return Outcome.STALE
    return Outcome.ILLEGAL


def legal_moves(current: str, actor: Actor) -> set[str]:
    return set(_MOVES.get((current, actor), set()))


# Who moves requests: the citizen who made one; a ministry through its system (API key or broker user) or its
# officers. Service managers and portal staff read.
MOVER_ROLES: dict[str, Actor] = {"citizen": "citizen", "ministry": "ministry", "officer": "ministry"}
MINISTRY_MOVER_ROLES = tuple(role for role, actor in MOVER_ROLES.items() if actor == "ministry")


@dataclass(frozen=True)
class Mover:
    """Who asks to move a request: a citizen (`id` their subject) or a ministry (`id` its code)."""

    actor: Actor
    id: str

    @classmethod
    def of(cls, role: str, subject: str, ministry: str | None) -> "Mover | None":
        actor = MOVER_ROLES.get(role)
        if actor == "citizen":
            return cls("citizen", subject)
        if actor == "ministry" and ministry:
            return cls("ministry", ministry)
        return None


def check_mover(mover: Mover, ministry: str, citizen: str, tracking_number: str) -> None:
    """A citizen moves only their own requests (another's does not exist for them); a ministry only its own."""
    if mover.actor == "citizen" and mover.id != citizen:
        raise NotFound("request-not-found", f"You have no request {tracking_number}.")
    if mover.actor == "ministry" and mover.id != ministry:
        raise Forbidden("wrong-ministry", "A ministry moves only its own requests.")


def check_move(mover: Mover, ministry: str, citizen: str, tracking_number: str, current: str, target: str,
               history: list[str]) -> Outcome:
    """Who may move a request, and where to: the one rule the bus, the REST twin and the workspace go through."""
    check_mover(mover, ministry, citizen, tracking_number)
    outcome = decide(current, target, mover.actor, history)
    if outcome is Outcome.ILLEGAL:
        raise Conflict("illegal-transition", f"A request that is {current} cannot become {target}.",
                       allowed=sorted(legal_moves(current, mover.actor)), current_status=current)
    return outcome


def moves_open_to(mover: Mover | None, ministry: str, citizen: str, current: str) -> list[str]:
    """The statuses this mover may move the request to now (none for a reader)."""
    if mover is None or mover.id != (citizen if mover.actor == "citizen" else ministry):
        return []
    return sorted(legal_moves(current, mover.actor))


_NATIONAL_ID = re.compile(r"^\d{6,10}$")


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


def _finite(number: int | float) -> bool:
    # JSON's integers are unbounded: one past a double's range (10**400) is no quantity, and isfinite cannot take it.
    try:
        return math.isfinite(number)
    except OverflowError:
        return False


def _check(spec: FormField, value: Any) -> str | None:
    kind = spec.kind
    if kind in ("text", "national_id", "phone", "email", "file"):
        if not isinstance(value, str):
            return "must be text"
        if has_unsafe_characters(value):
            return "contains characters that cannot be stored"
        if kind == "national_id" and not _NATIONAL_ID.match(value):
            return "must be a civil number of 6 to 10 digits"
        if kind == "phone" and not is_phone_number(value):
            return "must be a phone number: Omani (9123 4567, +968 9123 4567) or another country's with its code"
        if kind == "email" and not is_email_address(value):
            return "must be an e-mail address (name@example.om)"
        if spec.min_length is not None and len(value) < spec.min_length:
            return f"must be at least {spec.min_length} characters"
        if spec.max_length is not None and len(value) > spec.max_length:
            return f"must be at most {spec.max_length} characters"
        return None
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float) or not _finite(value):
            return "must be a number"
        if spec.minimum is not None and value < spec.minimum:
            return f"must be at least {spec.minimum:g}"
        if spec.maximum is not None and value > spec.maximum:
            return f"must be at most {spec.maximum:g}"
        return None
    if kind == "date":
        try:
            date.fromisoformat(value)
        except (TypeError, ValueError):
            return "must be a date (YYYY-MM-DD)"
        return None
    if kind == "boolean":
        return None if isinstance(value, bool) else "must be true or false"
    if kind == "choice":
        return None if isinstance(value, str) and value in spec.choices else f"must be one of {spec.choices}"
    if kind == "multi_choice":
        if not isinstance(value, list) or any(not isinstance(v, str) or v not in spec.choices for v in value):
            return f"must be a list drawn from {spec.choices}"
        return None
    return "has an unknown kind"


def takes_requests_online(service: ServiceRecord) -> bool:
    """A manual service is handled in person until its ministry brings it online."""
    return service.maturity != "manual"


_CONTACT = {"phone": phone_number, "email": email_address}


def stored_fields(service: ServiceRecord, fields: dict[str, Any]) -> dict[str, Any]:
    """Valid answers as kept: phone numbers in E.164, e-mail addresses normalised."""
    kinds = {f.name: f.kind for f in service.form}
    return {name: _CONTACT[kinds[name]](value) if kinds.get(name) in _CONTACT and isinstance(value, str) and value
            else value for name, value in fields.items()}


def fields_not_asked(answers: dict[str, Any], asked: list[str] | None) -> list[FieldError]:
    """An answer to "action required" changes only the fields the ministry named (none named: none change)."""
    return [FieldError(name, "the ministry did not ask to change this field") for name in sorted(answers)
            if name not in (asked or [])]


def validate_fields(service: ServiceRecord, fields: dict[str, Any], *, partial: bool = False) -> list[FieldError]:
    """Every problem with the submitted fields at once, so the citizen fixes them in one go."""
    form = {f.name: f for f in service.form}
    errors = [FieldError(name, "is not a field of this service's form") for name in fields if name not in form]
    for name, spec in form.items():
        value = fields.get(name)
        if value is None or value == "" or value == []:
            if spec.required and not partial:
                errors.append(FieldError(name, "is required"))
            continue
        problem = _check(spec, value)
        if problem:
            errors.append(FieldError(name, problem))
    return errors
