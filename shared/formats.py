"""How a date, a time or an amount is written for a reader in Oman, in Arabic or English.

Locale plumbing, shared because the gateway (pages) and notifications (inbox, e-mail, SMS) both write dates and
amounts and no service may import another; it holds no rule about requests: callers choose which dates a citizen
reads beside their Hijri date (the pages and messages do: due and expected completion dates, document expiry).

- Times are stored in UTC and read in Asia/Muscat: 23:30 UTC on 17 November is already 18 November in Oman.
- Babel's CLDR formats: ar_OM for Arabic; CLDR has no en_OM, so English is en_AE, the Gulf English that writes
  day-month-year and a 12-hour clock as ar_OM does.
- Digits are Latin (0-9) in both languages, as Oman's government sites write them and as the rest of our Arabic
  pages already do (tracking numbers, phone numbers and counts a citizen types back).
- Hijri dates are Umm al-Qura (hijridate); outside its table (1343-1500 AH) only the Gregorian date is shown.
- Amounts are Omani rials with CLDR's three decimals (baisa).
"""

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, Concatenate, Literal, ParamSpec

from babel.dates import format_date as babel_date
from babel.dates import format_time as babel_time
from babel.dates import get_datetime_format
from babel.numbers import format_currency, format_decimal, get_currency_precision
from hijridate import Gregorian

from shared.clock import in_muscat

Lang = Literal["ar", "en"]
P = ParamSpec("P")
LOCALES: dict[str, str] = {"ar": "ar_OM", "en": "en_AE"}
CURRENCY = "OMR"
# Babel does not apply CLDR's currency spacing: without this English would read "OMR5.000".
_EN_CURRENCY_PATTERN = "¤\u00a0#,##0.00"


@cache
def _amount_pattern() -> str:
    # Asked at the first amount, not at import: CLDR's supplemental data is 2 MB a process that has not written an
    # amount yet (an idle gateway, notifications) need not hold.
    return "#,##0." + "0" * get_currency_precision(CURRENCY)


def _locale(lang: str) -> str:
    return LOCALES.get(lang, LOCALES["ar"])


def _moment(value: date | datetime | str) -> date | datetime:
    """A date stays a calendar day; a datetime (naive ones are UTC, as the services store them) is read in Muscat."""
    if isinstance(value, str):
        text = value.strip()
        value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    if isinstance(value, datetime):
        return in_muscat(value)
    return value


def muscat_day(value: date | datetime | str) -> date:
    moment = _moment(value)
    return moment.date() if isinstance(moment, datetime) else moment


def hijri_date(value: date | datetime | str, lang: str) -> str | None:
    """The Umm al-Qura date of the Muscat day, e.g. "1 شوال 1447 هـ" / "1 Shawwal 1447 AH"; None out of range."""
    day = muscat_day(value)
    try:
        hijri = Gregorian(day.year, day.month, day.day).to_hijri()
    except OverflowError:
        return None
    language: Lang = "ar" if lang == "ar" else "en"
    return f"{hijri.day} {hijri.month_name(language)} {hijri.year} {hijri.notation(language)}"


def _lenient(write: Callable[Concatenate[Any, str, P], str]) -> Callable[Concatenate[Any, str, P], str]:
    """Empty for no value; a value that is not a date or an amount is shown as it came rather than failing a page
    or a message."""
    def written(value: Any, lang: str, /, *args: P.args, **kwargs: P.kwargs) -> str:
        if value is None or value == "":
            return ""
        try:
            return write(value, lang, *args, **kwargs)
        except ValueError:
            return str(value)
    return written


@_lenient
def format_date(value: date | datetime | str, lang: str, *, hijri: bool = False) -> str:
    """The Muscat day in words ("18 نوفمبر 2026", "18 November 2026"), with its Hijri date in brackets if asked."""
    day = muscat_day(value)
    shown = babel_date(day, "long", locale=_locale(lang))
    other = hijri_date(day, lang) if hijri else None
    return f"{shown} ({other})" if other else shown


@_lenient
def format_datetime(value: datetime | str, lang: str) -> str:
    """The Muscat date and time, e.g. "18 نوفمبر 2026، 3:30 ص" / "18 November 2026, 3:30 AM"."""
    moment = _moment(value)
    if not isinstance(moment, datetime):
        return format_date(moment, lang)
    locale = _locale(lang)
    pattern = str(get_datetime_format("medium", locale=locale)).replace("'", "")
    return pattern.replace("{0}", babel_time(moment, "short", locale=locale)).replace(
        "{1}", babel_date(moment, "long", locale=locale))


@_lenient
def format_money(amount: Decimal | float | int | str, lang: str, *, symbol: bool = True) -> str:
    """Omani rials with three decimals: "‏5.500 ر.ع.‏" / "OMR 5.500"; `symbol=False` where a heading names the
    currency already."""
    try:
        value = Decimal(str(amount).strip())
    except InvalidOperation as exc:
        raise ValueError(amount) from exc
    if not value.is_finite():
        raise ValueError(amount)
    locale = _locale(lang)
    if not symbol:
        return format_decimal(value, _amount_pattern(), locale=locale)
    pattern = _EN_CURRENCY_PATTERN if lang == "en" else None
    return format_currency(value, CURRENCY, pattern, locale=locale, currency_digits=True)
