from datetime import UTC, datetime

import pytest

from services.requests.domain import (
    Conflict,
    Forbidden,
    Invalid,
    Mover,
    NotFound,
    Outcome,
    check_move,
    decide,
    is_overdue,
    moves_open_to,
    parse_tracking_number,
    validate_fields,
)
from shared.contracts.base import Bilingual
from shared.contracts.catalog import FormField, ServiceRecord
from shared.contracts.tracking import format_tracking_number

ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def create_service(*fields: FormField) -> ServiceRecord:
    text = Bilingual(ar="خدمة", en="Service")
    return ServiceRecord(slug="s", ministry="rop", ministry_name=text, version=1, title=text, description=text,
                         maturity="electronic", target_days=3, form=list(fields))


def field(name: str, kind: str, required: bool = True, **extra: object) -> FormField:
    return FormField(name=name, kind=kind, label=Bilingual(ar=name, en=name), required=required,  # type: ignore[arg-type]
                     **extra)  # type: ignore[arg-type]


def test_a_tracking_number_names_the_ministry_the_year_and_a_sequence() -> None:
    assert format_tracking_number("rop", 2026, 42).startswith("ROP-2026-000042-")


def test_a_tracking_number_typed_in_lower_case_with_spaces_is_understood() -> None:
    number = format_tracking_number("moh", 2026, 7)
    assert parse_tracking_number(f"  {number.lower()} ") == number


def test_every_single_mistyped_character_is_caught_before_any_look_up() -> None:
    number = format_tracking_number("mohup", 2026, 123456)
    for position, original in enumerate(number):
        if original == "-":
            continue
        for replacement in ALPHANUMERIC.replace(original, ""):
            typo = number[:position] + replacement + number[position + 1:]
            with pytest.raises(Invalid):
                parse_tracking_number(typo)


def test_two_swapped_neighbouring_digits_are_caught() -> None:
    number = format_tracking_number("rop", 2026, 123456)
    digits = number.split("-")[2]
    for i in range(len(digits) - 1):
        if digits[i] == digits[i + 1]:
            continue
        swapped = digits[:i] + digits[i + 1] + digits[i] + digits[i + 2:]
        with pytest.raises(Invalid) as caught:
            parse_tracking_number(number.replace(digits, swapped))
        assert caught.value.code == "tracking-number-mistyped"


def test_a_number_of_the_wrong_shape_is_explained_not_looked_up() -> None:
    with pytest.raises(Invalid) as caught:
        parse_tracking_number("12345")
    assert caught.value.code == "tracking-number-malformed"


def test_the_check_character_is_one_letter_or_digit() -> None:
    assert format_tracking_number("rop", 2026, 1)[-1] in ALPHANUMERIC


@pytest.mark.parametrize(("current", "target", "actor"), [
    ("submitted", "received", "ministry"),
    ("received", "in_review", "ministry"),
    ("in_review", "action_required", "ministry"),
    ("action_required", "in_review", "citizen"),
    ("in_review", "approved", "ministry"),
    ("in_review", "rejected", "ministry"),
    ("approved", "completed", "ministry"),
    ("submitted", "cancelled", "citizen"),
    ("received", "cancelled", "citizen"),
])
def test_the_lifecycle_allows_each_step_of_design_md(current: str, target: str, actor: str) -> None:
    assert decide(current, target, actor, [current]) is Outcome.APPLY  # type: ignore[arg-type]


def test_a_citizen_cannot_cancel_once_the_ministry_is_reviewing() -> None:
    assert decide("in_review", "cancelled", "citizen", ["submitted", "received", "in_review"]) is Outcome.ILLEGAL


def test_a_citizen_cannot_approve_their_own_request() -> None:
    assert decide("in_review", "approved", "citizen", ["submitted", "in_review"]) is Outcome.ILLEGAL


def test_a_late_duplicate_received_after_review_started_is_stale_not_applied_backwards() -> None:
    assert decide("in_review", "received", "ministry", ["submitted", "received", "in_review"]) is Outcome.STALE


def test_nothing_moves_a_completed_request() -> None:
    assert decide("completed", "approved", "ministry", ["approved", "completed"]) is Outcome.STALE


def test_skipping_review_straight_to_approval_is_illegal() -> None:
    assert decide("received", "approved", "ministry", ["submitted", "received"]) is Outcome.ILLEGAL


def test_all_problems_with_the_answers_are_reported_at_once() -> None:
    service = create_service(field("plate", "text", max_length=5), field("floors", "number", maximum=4),
                             field("phone", "phone"), field("when", "date"))
    errors = validate_fields(service, {"plate": "TOO-LONG", "floors": 9, "when": "31/12/2026", "extra": 1})
    assert {e.field for e in errors} == {"plate", "floors", "phone", "when", "extra"}


def test_correct_answers_pass() -> None:
    service = create_service(field("phone", "phone"), field("mail", "email"), field("id", "national_id"),
                             field("kind", "choice", choices=["a", "b"]), field("ok", "boolean"),
                             field("tags", "multi_choice", choices=["x", "y"]), field("note", "text", required=False))
    assert validate_fields(service, {"phone": "+96891234567", "mail": "a@b.om", "id": "12345678", "kind": "a",
                                     "ok": True, "tags": ["x"]}) == []


def test_a_number_field_does_not_accept_true() -> None:
    service = create_service(field("floors", "number"))
    assert [e.field for e in validate_fields(service, {"floors": True})] == ["floors"]


def test_a_tracking_number_typed_with_arabic_indic_digits_is_understood() -> None:
    number = format_tracking_number("rop", 2026, 1)
    arabic = number.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert parse_tracking_number(arabic) == number


def test_digits_from_other_scripts_are_a_clear_error_not_a_crash() -> None:
    with pytest.raises(Invalid):
        parse_tracking_number("ROP-२०२६-000001-7")


def test_an_infinite_number_is_not_a_number() -> None:
    service = create_service(field("floors", "number"))
    assert [e.field for e in validate_fields(service, {"floors": float("inf")})] == ["floors"]


def test_an_integer_beyond_any_floating_point_number_is_not_a_number_and_a_large_one_still_is() -> None:
    service = create_service(field("floors", "number"))
    assert [e.message for e in validate_fields(service, {"floors": 10**400})] == ["must be a number"]
    assert validate_fields(service, {"floors": 10**300}) == []


def test_text_with_a_nul_character_is_refused() -> None:
    service = create_service(field("plate", "text"))
    assert [e.field for e in validate_fields(service, {"plate": "12\x00AB"})] == ["plate"]


def test_a_request_waiting_for_a_decision_or_approved_and_not_completed_past_its_due_date_is_overdue() -> None:
    due = datetime(2026, 1, 5, 9, tzinfo=UTC)
    later = datetime(2026, 1, 6, tzinfo=UTC)
    assert is_overdue("in_review", due, later)
    assert is_overdue("action_required", due, later)
    assert is_overdue("approved", due, later)
    assert not is_overdue("rejected", due, later)
    assert not is_overdue("completed", due, later)
    assert not is_overdue("in_review", due, datetime(2026, 1, 5, 8, tzinfo=UTC))


def test_only_the_owning_ministry_and_the_citizen_who_asked_move_a_request_and_readers_move_nothing() -> None:
    rop, citizen = Mover("ministry", "rop"), Mover("citizen", "12345678")
    args = ("rop", "12345678", "ROP-2026-000042-8")
    assert check_move(rop, *args, "submitted", "received", ["submitted"]) is Outcome.APPLY
    assert check_move(citizen, *args, "submitted", "cancelled", ["submitted"]) is Outcome.APPLY
    with pytest.raises(Forbidden):
        check_move(Mover("ministry", "moh"), *args, "submitted", "received", ["submitted"])
    with pytest.raises(NotFound):
        check_move(Mover("citizen", "87654321"), *args, "submitted", "cancelled", ["submitted"])
    with pytest.raises(Conflict) as illegal:
        check_move(citizen, *args, "submitted", "approved", ["submitted"])
    assert illegal.value.extra["allowed"] == ["cancelled"]
    assert Mover.of("officer", "officer-7", "rop") == rop
    assert Mover.of("service_manager", "manager-1", "rop") is None and Mover.of("admin", "staff-1", None) is None
    assert moves_open_to(Mover.of("officer", "officer-7", "rop"), "rop", "12345678", "in_review") == [
        "action_required", "approved", "rejected"]
    assert moves_open_to(Mover.of("service_manager", "m", "rop"), "rop", "12345678", "in_review") == []
    assert moves_open_to(Mover.of("officer", "officer-9", "moh"), "rop", "12345678", "in_review") == []
