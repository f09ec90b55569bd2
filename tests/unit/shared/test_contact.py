"""One reading of phone numbers and e-mail addresses for the forms, the requests service and notifications."""

import pytest

from services.gateway.ui.forms import read_answers
from services.requests.domain import stored_fields, validate_fields
from shared.contracts.base import Bilingual
from shared.contracts.catalog import FormField, ServiceRecord
from shared.contracts.contact import InvalidContact, email_address, mobile_number, phone_number


@pytest.mark.parametrize("typed", ["91234567", "9123 4567", "9123-4567", "+96891234567", "+968 9123 4567",
                                   "00968 9123 4567", "0096891234567", "968 91234567", "(+968) 9123-4567",
                                   "٩١٢٣٤٥٦٧", "+٩٦٨ ٩١٢٣ ٤٥٦٧", "۰۰۹۶۸۹۱۲۳۴۵۶۷"])
def test_an_omani_number_in_any_common_spelling_is_kept_in_e164(typed: str) -> None:
    assert phone_number(typed) == "+96891234567"


@pytest.mark.parametrize(("typed", "kept"), [("+44 7911 123456", "+447911123456"),
                                             ("0044 7911 123456", "+447911123456"),
                                             ("+971 50 123 4567", "+971501234567"),
                                             ("24 123 456", "+96824123456")])
def test_numbers_abroad_and_landlines_are_phone_numbers_too(typed: str, kept: str) -> None:
    assert phone_number(typed) == kept


@pytest.mark.parametrize("typed", ["", "12", "+968", "+968 1234 5678", "9123456a", "+96891234567890"])
def test_what_is_not_a_phone_number_is_refused_without_repeating_it(typed: str) -> None:
    with pytest.raises(InvalidContact) as refused:
        phone_number(typed)
    assert str(refused.value).startswith(("not a phone number (for", "not a valid phone number (for"))


def test_sms_needs_a_mobile_so_a_landline_is_refused_and_a_mobile_abroad_is_kept() -> None:
    assert mobile_number("00968 7123 4567") == "+96871234567"
    assert mobile_number("+971 50 123 4567") == "+971501234567"
    with pytest.raises(InvalidContact, match="mobile"):
        mobile_number("24 123 456")


@pytest.mark.parametrize(("typed", "kept"), [
    ("  Aisha.Al-Balushi+portal@Mail.Example.OM ", "Aisha.Al-Balushi+portal@mail.example.om"),
    ("citizen@بريد.عمان", "citizen@بريد.عمان"),
    ("سالم@مثال.عمان", "سالم@مثال.عمان"),
    ("name@xn--mgbh0fb.xn--mgb9awbf", "name@مثال.عمان"),
])
def test_an_e_mail_address_may_have_an_internationalised_domain_and_is_kept_normalised(typed: str, kept: str) -> None:
    assert email_address(typed) == kept


@pytest.mark.parametrize("typed", ["aisha", "aisha@", "@example.om", "aisha@example", "aisha@@example.om",
                                   "ai sha@example.om", "aisha@example.om\r\nBcc: x@y.om", ".aisha@example.om",
                                   "aisha..b@example.om", "a" * 65 + "@example.om"])
def test_what_is_not_an_e_mail_address_is_refused_without_repeating_it(typed: str) -> None:
    with pytest.raises(InvalidContact) as refused:
        email_address(typed)
    assert str(refused.value) == "not a valid e-mail address (for example name@example.om)"


TEXT = Bilingual(ar="حقل", en="Field")
FORM = [FormField(name="phone", kind="phone", label=TEXT), FormField(name="mail", kind="email", label=TEXT)]


@pytest.mark.parametrize(("phone", "mail"), [("00968 9123 4567", "citizen@بريد.عمان"),
                                             ("+44 7911 123456", "Name@Example.OM"),
                                             ("12", "not-an-address"),
                                             ("+968 1234 5678", "a@b")])
def test_the_web_form_and_the_requests_service_agree_on_every_answer(phone: str, mail: str) -> None:
    service = ServiceRecord(slug="s", ministry="rop", ministry_name=TEXT, version=1, title=TEXT, description=TEXT,
                            maturity="electronic", target_days=5, form=FORM)
    answers = read_answers([f.model_dump() for f in FORM], {"phone": [phone], "mail": [mail]})
    refused_by_requests = {e.field for e in validate_fields(service, {"phone": phone, "mail": mail})}
    assert set(answers.errors) == refused_by_requests
    if not refused_by_requests:
        assert answers.fields == stored_fields(service, {"phone": phone, "mail": mail})
