"""Tracking numbers: ministry code, year, sequence and an ISO 7064 MOD 37-36 check character (ROP-2026-000042-8).

Any one mistyped character and any swap of two neighbours is caught before a look-up. Citizens type the digits
their keyboard gives: Arabic-Indic (٠-٩) and Persian (۰-۹) digits read as 0-9, spaces are ignored.
"""

import re
from typing import Literal

from stdnum.iso7064 import mod_37_36

PATTERN = re.compile(r"^([A-Z][A-Z0-9]{1,15})-([0-9]{4})-([0-9]{6,})-([0-9A-Z])$", re.ASCII)
# How a tracking number appears in running text (documents, messages), before any check.
IN_TEXT = re.compile(r"\b[A-Za-z][A-Za-z0-9]{1,15}-\d{4}-\d{6,}-[0-9A-Za-z]\b", re.ASCII)
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
TrackingProblem = Literal["malformed", "mistyped"]


def format_tracking_number(ministry: str, year: int, sequence: int) -> str:
    ministry, number = ministry.upper(), f"{year:04d}-{sequence:06d}"
    return f"{ministry}-{number}-{mod_37_36.calc_check_digit(ministry + number.replace('-', ''))}"


EXAMPLE = format_tracking_number("rop", 2026, 42)


def check_tracking_number(text: str) -> tuple[str, TrackingProblem | None]:
    """The canonical number and None, or the number as read and what is wrong with it."""
    candidate = re.sub(r"\s+", "", text.translate(_DIGITS)).upper()
    if not PATTERN.match(candidate):
        return candidate, "malformed"
    if not mod_37_36.is_valid(candidate.replace("-", "")):
        return candidate, "mistyped"
    return candidate, None


def ministry_of(tracking_number: str) -> str:
    return tracking_number.split("-", 1)[0].lower()
