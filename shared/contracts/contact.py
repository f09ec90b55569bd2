"""Phone numbers and e-mail addresses as every part of the portal reads them: the web forms, the requests
service and notifications check and store them the same way.

A phone number may be Omani or international, in any common spelling (91234567, +968 9123 4567, 00968 9123 4567,
968 91234567, Arabic-Indic digits, +44 7911 123456, 0044 …); it is stored in E.164 (+96891234567). An e-mail
address may have an internationalised domain or local part (سالم@مثال.عمان); it is stored normalised (the domain
in lower case). Contact details are personal data: no error message repeats them.
"""

import re
from typing import Annotated

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType
from pydantic import AfterValidator

HOME_REGION = "OM"
_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
# 968 and eight digits, as some write an Omani number without the + or 00.
_BARE_COUNTRY_CODE = re.compile(r"968\d{8}")
_SEPARATORS = re.compile(r"[\s\-().\u200e\u200f]")


class InvalidContact(ValueError):
    pass


def phone_number(raw: str, *, mobile: bool = False) -> str:
    """The number in E.164; with `mobile`, only a number that can receive SMS."""
    compact = _SEPARATORS.sub("", raw)
    if _BARE_COUNTRY_CODE.fullmatch(phonenumbers.normalize_digits_only(compact)):
        compact = "+" + phonenumbers.normalize_digits_only(compact)
    try:
        number = phonenumbers.parse(compact, HOME_REGION)
    except NumberParseException as exc:
        raise InvalidContact("not a phone number (for example +968 9123 4567)") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidContact("not a valid phone number (for example +968 9123 4567)")
    if mobile and phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise InvalidContact("not a mobile number that can receive SMS (for example +968 9123 4567)")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def mobile_number(raw: str) -> str:
    return phone_number(raw, mobile=True)


def email_address(raw: str) -> str:
    try:
        return validate_email(raw.strip(), check_deliverability=False, strict=True).normalized
    except EmailNotValidError as exc:
        raise InvalidContact("not a valid e-mail address (for example name@example.om)") from exc


def is_phone_number(raw: str) -> bool:
    try:
        phone_number(raw)
    except InvalidContact:
        return False
    return True


def is_email_address(raw: str) -> bool:
    try:
        email_address(raw)
    except InvalidContact:
        return False
    return True


PhoneNumber = Annotated[str, AfterValidator(phone_number)]
MobileNumber = Annotated[str, AfterValidator(mobile_number)]
EmailAddress = Annotated[str, AfterValidator(email_address)]
