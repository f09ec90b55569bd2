"""Renewal windows, prefill from the document, and expected completion dates: rules without I/O."""

from datetime import UTC, date, datetime, timedelta

from services.requests.domain.calendar import WorkingCalendar
from services.requests.domain.estimates import expected_completion, typical_stays
from services.requests.domain.renewals import (
    LIFE_EVENTS,
    RENEWALS,
    Document,
    fit_prefill,
    missing_fields,
    renewal_for,
    renewal_is_due,
    renewal_key,
)
from shared.contracts.base import Bilingual
from shared.contracts.catalog import FormField, ServiceRecord


def create_document(document_type: str = "driving_licence", expires_on: date | None = date(2026, 3, 31)
                    ) -> Document:
    return Document(id="d-1", ministry="rop", citizen="12345678", document_type=document_type, number="N-1",
                    issued_on=date(2016, 3, 31), expires_on=expires_on)


def test_each_document_type_is_renewed_ahead_by_its_own_window() -> None:
    assert {t: (r.service, r.days_ahead) for t, r in RENEWALS.items() if t in (
        "driving_licence", "passport", "civil_id", "vehicle_registration")} == {
        "driving_licence": ("renew-driving-licence", 30), "passport": ("issue-renew-passport", 180),
        "civil_id": ("issue-renew-civil-id-card", 90), "vehicle_registration": ("renew-vehicle-registration", 30)}


def test_a_birth_suggests_child_benefit_and_a_health_card_and_a_new_vehicle_its_registration() -> None:
    birth, vehicle = LIFE_EVENTS["birth_certificate"], LIFE_EVENTS["vehicle_ownership"]
    assert [slug for slug, _ in birth.services] == ["child-benefit", "issue-child-health-card"]
    assert [slug for slug, _ in vehicle.services] == ["register-new-vehicle"]
    (_, prefill), = vehicle.services
    assert prefill(create_document("vehicle_ownership")) == {"chassis_number": "N-1"}


def test_a_renewal_is_due_from_the_first_day_of_its_window_and_after_the_expiry() -> None:
    document = create_document()
    rule = renewal_for(document)
    assert rule is not None
    assert not renewal_is_due(document, rule, date(2026, 2, 28))
    assert renewal_is_due(document, rule, date(2026, 3, 1))
    assert renewal_is_due(document, rule, date(2026, 5, 1))
    assert not renewal_is_due(create_document(expires_on=None), rule, date(2026, 5, 1))


def test_a_renewed_document_with_a_new_expiry_gets_a_new_offer_key() -> None:
    assert renewal_key(create_document()) != renewal_key(create_document(expires_on=date(2036, 3, 31)))


def test_the_prefill_keeps_only_fields_of_the_form_and_names_what_is_still_missing() -> None:
    text = Bilingual(ar="ن", en="t")
    service = ServiceRecord(slug="issue-renew-passport", ministry="rop", ministry_name=text, version=1, title=text,
                            description=text, maturity="electronic", target_days=3,
                            form=[FormField(name="civil_number", kind="national_id", label=text),
                                  FormField(name="request_type", kind="choice", label=text,
                                            choices=["first_issue", "renewal"]),
                                  FormField(name="phone", kind="phone", label=text)])
    rule = renewal_for(create_document("passport"))
    assert rule is not None
    prefill = fit_prefill(service, rule.prefill(create_document("passport")))
    assert prefill == {"civil_number": "12345678", "request_type": "renewal"}
    assert missing_fields(service, prefill) == ["phone"]


START = datetime(2026, 1, 4, 8, tzinfo=UTC)
OMAN = WorkingCalendar()


def timeline(*hours: float) -> list[tuple[str, datetime]]:
    states = ["submitted", "received", "in_review", "approved", "completed"]
    return [(state, START + timedelta(hours=h)) for state, h in zip(states, hours, strict=True)]


def test_an_open_request_is_expected_after_the_typical_time_of_each_state_ahead() -> None:
    typical = typical_stays([timeline(0, 1, 3, 27, 51)] * 5, OMAN)
    assert typical == {"submitted": 3600.0, "received": 7200.0, "in_review": 86400.0, "approved": 86400.0}
    now = START + timedelta(minutes=30)
    expected = expected_completion("submitted", START, START + timedelta(days=9), now, typical, OMAN)
    assert expected == START + timedelta(hours=51)
    # Overstaying a state pushes the estimate on from now, not from the typical time.
    late = START + timedelta(hours=10)
    assert expected_completion("submitted", START, START, late, typical, OMAN) == late + timedelta(hours=50)


def test_with_too_few_past_requests_the_due_date_is_the_estimate_and_closed_requests_have_none() -> None:
    typical = typical_stays([timeline(0, 1, 3, 27, 51)] * 4, OMAN)
    due = START + timedelta(days=3)
    assert expected_completion("in_review", START, due, START, typical, OMAN) == due
    late = due + timedelta(days=2)
    assert expected_completion("in_review", START, due, late, typical, OMAN) == late
    assert expected_completion("completed", START, due, START, typical, OMAN) is None
