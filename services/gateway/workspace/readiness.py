"""The readiness questionnaire (the catalogue's ReadinessAnswers), read from the posted form. No I/O."""

from decimal import Decimal, InvalidOperation
from typing import Any, Literal

Kind = Literal["yes_no", "percent", "count", "money"]
QUESTIONS: tuple[tuple[str, Kind], ...] = (
    ("procedure_documented", "yes_no"), ("steps_standardised", "yes_no"),
    ("legal_basis_allows_digital", "yes_no"), ("staff_trained", "yes_no"),
    ("documents_digital_percent", "percent"), ("evidence_from_registries", "yes_no"),
    ("has_case_system", "yes_no"), ("has_api", "yes_no"), ("e_payment_ready", "yes_no"),
    ("volume_per_year", "count"), ("manual_cost_omr", "money"), ("digital_cost_omr", "money"),
)
MAX_VOLUME = 50_000_000
MAX_MONEY = Decimal("999999.999")


def _value(kind: Kind, raw: str) -> tuple[Any, str | None]:
    if not raw:
        return None, "required"
    if kind == "yes_no":
        return (raw == "true", None) if raw in ("true", "false") else (None, "bad_choice")
    if kind == "money":
        try:
            amount = Decimal(raw.replace(",", "."))
        except InvalidOperation:
            return None, "bad_number"
        if not amount.is_finite() or amount < 0 or amount > MAX_MONEY or amount != amount.quantize(Decimal("0.001")):
            return None, "bad_money"
        return f"{amount:.3f}", None
    if not raw.isdigit():
        return None, "bad_whole_number"
    number = int(raw)
    if kind == "percent" and number > 100:
        return None, "too_large"
    if kind == "count" and number > MAX_VOLUME:
        return None, "too_large"
    return number, None


def read_answers(form: dict[str, list[str]]) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """The answers for the catalogue, the mistakes by question, and what was typed."""
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    typed: dict[str, str] = {}
    for name, kind in QUESTIONS:
        raw = (form.get(name) or [""])[0].strip()
        typed[name] = raw
        value, error = _value(kind, raw)
        if error:
            errors[name] = error
        else:
            answers[name] = value
    return answers, errors, typed


def typed_from(answers: dict[str, Any]) -> dict[str, str]:
    return {name: ("true" if value is True else "false" if value is False else str(value))
            for name, value in answers.items()}
