"""Integration events: the contract between services. Past-tense names, versioned CloudEvents types."""

import re
from datetime import date, datetime
from typing import Annotated, ClassVar
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# NUL and other C0 controls (tab and line breaks aside) and unpaired surrogates cannot be stored or shown.
_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def has_unsafe_characters(text: str) -> bool:
    return _UNSAFE.search(text) is not None


def _safe(text: str) -> str:
    if has_unsafe_characters(text):
        raise ValueError("contains control characters or unpaired surrogates")
    return text


SafeText = Annotated[str, AfterValidator(_safe)]
# The longest text any contract carries (a service's description); shorter fields say their own limit.
LONG_TEXT = 4000
ShortText = Annotated[SafeText, Field(max_length=200)]


def _https(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme.lower() != "https" or not parts.hostname or any(c.isspace() for c in url):
        raise ValueError("must be an https:// address")
    return url


# A link the portal republishes (pages, API, open data): https only, so no javascript:, data: or plain http.
WebLink = Annotated[SafeText, Field(max_length=2048), AfterValidator(_https)]

# Every date the portal takes: wide enough for any real licence or record, narrow enough that a day or a period
# around it (year + 1, end + 1 day, ten years back) stays a date Python and both databases can hold.
EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(2199, 12, 31)


def _sane_day(value: date) -> date:
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ValueError(f"must be between {EARLIEST_DAY.isoformat()} and {LATEST_DAY.isoformat()}")
    return value


Day = Annotated[date, AfterValidator(_sane_day)]
Moment = Annotated[datetime, AfterValidator(_sane_day)]
# A month as YYYY-MM, in the same range.
MONTH_PATTERN = r"^(19|20|21)\d{2}-(0[1-9]|1[0-2])$"


class IntegrationEvent(BaseModel):
    # Consumers ignore fields they do not know, so adding a field is never a breaking change.
    model_config = ConfigDict(extra="ignore", frozen=True)

    TYPE: ClassVar[str]


class Bilingual(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    ar: Annotated[SafeText, Field(max_length=LONG_TEXT)]
    en: Annotated[SafeText, Field(max_length=LONG_TEXT)]
