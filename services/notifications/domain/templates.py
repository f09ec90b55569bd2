"""What a citizen reads, per event, language and channel: versioned templates filled with personalisation.

Each template says what happened in both languages, for the inbox and email (title and body) and for SMS
(one short line). Values come in through placeholders ({tracking}, {service}, {status}, {link}) and are
written differently per format so that right-to-left text stays readable: Unicode isolates in plain text,
<bdi> in HTML, plain marks in SMS (older handsets do not know isolates).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.base import Bilingual
from shared.contracts.requests import Status

Lang = Literal["ar", "en"]
Kind = Literal["request_status"]

LRI = "\u2066"  # left-to-right isolate: a Latin/digit run inside Arabic keeps its own order
FSI = "\u2068"  # first-strong isolate: text of unknown direction (a ministry's note) stays self-contained
PDI = "\u2069"  # pop directional isolate
LRM = "\u200e"  # left-to-right mark: what SMS handsets understand around a tracking number
RLM = "\u200f"  # right-to-left mark: starts each line of an Arabic plain-text email
# Untrusted text must not carry its own bidi controls: a stray PDI or override would break out of our isolate
# and reorder the sentence around it.
_BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


class Template(BaseModel):
    """One message, in both languages. Changing any text means a new version: deliveries record which."""

    model_config = ConfigDict(frozen=True)

    id: str
    version: int = Field(ge=1)
    kind: Kind
    status_name: Bilingual
    title: Bilingual
    # Placeholders: {tracking}, {service}, {status}.
    body: Bilingual
    # Placeholders: {tracking}, {status}; the link is appended.
    sms: Bilingual


class Personalisation(BaseModel):
    """The values a template is filled with. The service is its title in the message's language, or its slug."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tracking_number: str = Field(min_length=1)
    service: str = Field(min_length=1)
    note: str | None = None


def _status(status: Status, version: int, name: Bilingual, title: Bilingual, body: Bilingual,
            sms: Bilingual) -> Template:
    return Template(id=f"request_status.{status}", version=version, kind="request_status", status_name=name,
                    title=title, body=body, sms=sms)


TEMPLATES: dict[Status, Template] = {
    "submitted": _status(
        "submitted", 1,
        Bilingual(ar="تم التقديم", en="Submitted"),
        Bilingual(ar="تم تقديم طلبك", en="Your request was submitted"),
        Bilingual(
            ar="تم تقديم طلبك رقم {tracking} لخدمة {service} بنجاح، وسيُحال إلى الجهة المختصة. "
               "الحالة: {status}.",
            en="Your request {tracking} for {service} was submitted and is on its way to the ministry. "
               "Status: {status}."),
        Bilingual(ar="تم تقديم طلبك رقم {tracking}.", en="Your request {tracking} was submitted.")),
    "received": _status(
        "received", 1,
        Bilingual(ar="تم الاستلام", en="Received"),
        Bilingual(ar="تم استلام طلبك", en="Your request was received"),
        Bilingual(
            ar="استلمت الجهة المختصة طلبك رقم {tracking} لخدمة {service}. الحالة: {status}.",
            en="The ministry has received your request {tracking} for {service}. Status: {status}."),
        Bilingual(ar="استلمت الجهة المختصة طلبك رقم {tracking}.",
                  en="The ministry has received your request {tracking}.")),
    "in_review": _status(
        "in_review", 1,
        Bilingual(ar="قيد المراجعة", en="In review"),
        Bilingual(ar="طلبك قيد المراجعة", en="Your request is in review"),
        Bilingual(
            ar="تقوم الجهة المختصة بمراجعة طلبك رقم {tracking} لخدمة {service}. الحالة: {status}.",
            en="The ministry is reviewing your request {tracking} for {service}. Status: {status}."),
        Bilingual(ar="طلبك رقم {tracking} قيد المراجعة.", en="Your request {tracking} is in review.")),
    "action_required": _status(
        "action_required", 1,
        Bilingual(ar="مطلوب إجراء", en="Action required"),
        Bilingual(ar="مطلوب إجراء منك", en="Action is required from you"),
        Bilingual(
            ar="يحتاج طلبك رقم {tracking} لخدمة {service} إلى إجراء منك لاستكمال معالجته. الحالة: {status}.",
            en="Your request {tracking} for {service} needs an action from you before it can continue. "
               "Status: {status}."),
        Bilingual(ar="يحتاج طلبك رقم {tracking} إلى إجراء منك.",
                  en="Your request {tracking} needs an action from you.")),
    "approved": _status(
        "approved", 1,
        Bilingual(ar="تمت الموافقة", en="Approved"),
        Bilingual(ar="تمت الموافقة على طلبك", en="Your request was approved"),
        Bilingual(
            ar="يسعدنا إبلاغك بأنه تمت الموافقة على طلبك رقم {tracking} لخدمة {service}. الحالة: {status}.",
            en="Good news: your request {tracking} for {service} was approved. Status: {status}."),
        Bilingual(ar="تمت الموافقة على طلبك رقم {tracking}.", en="Your request {tracking} was approved.")),
    "rejected": _status(
        "rejected", 1,
        Bilingual(ar="مرفوض", en="Rejected"),
        Bilingual(ar="تم رفض طلبك", en="Your request was rejected"),
        Bilingual(
            ar="نأسف لإبلاغك بأنه تم رفض طلبك رقم {tracking} لخدمة {service}. الحالة: {status}.",
            en="We are sorry: your request {tracking} for {service} was rejected. Status: {status}."),
        Bilingual(ar="تم رفض طلبك رقم {tracking}.", en="Your request {tracking} was rejected.")),
    "completed": _status(
        "completed", 1,
        Bilingual(ar="مكتمل", en="Completed"),
        Bilingual(ar="اكتمل طلبك", en="Your request is complete"),
        Bilingual(
            ar="اكتمل طلبك رقم {tracking} لخدمة {service}. الحالة: {status}.",
            en="Your request {tracking} for {service} is complete. Status: {status}."),
        Bilingual(ar="اكتمل طلبك رقم {tracking}.", en="Your request {tracking} is complete.")),
    "cancelled": _status(
        "cancelled", 1,
        Bilingual(ar="ملغى", en="Cancelled"),
        Bilingual(ar="تم إلغاء طلبك", en="Your request was cancelled"),
        Bilingual(
            ar="تم إلغاء طلبك رقم {tracking} لخدمة {service}. الحالة: {status}.",
            en="Your request {tracking} for {service} was cancelled. Status: {status}."),
        Bilingual(ar="تم إلغاء طلبك رقم {tracking}.", en="Your request {tracking} was cancelled.")),
}
BY_ID: dict[str, Template] = {template.id: template for template in TEMPLATES.values()}

NOTE_LINE = Bilingual(ar="ملاحظة الجهة المختصة: {note}", en="Note from the ministry: {note}")
LINK_LINE = Bilingual(ar="تابع طلبك: {link}", en="Track your request: {link}")
LINK_LABEL = Bilingual(ar="تابع طلبك على البوابة", en="Track your request on the portal")
FOOTER = Bilingual(
    ar="هذه رسالة آلية من بوابة الخدمات الحكومية في سلطنة عُمان، يرجى عدم الرد عليها.",
    en="This is an automatic message from the Oman Government Services Portal. Please do not reply.")
SENDER_NAME = Bilingual(ar="بوابة الخدمات الحكومية", en="Oman Government Services Portal")
SMS_SIGNATURE = Bilingual(ar="بوابة الخدمات الحكومية", en="Oman Gov Portal")

SAMPLE = Personalisation(tracking_number="ROP-2025-000123-K", service="passport-renewal",
                         note="Please attach a clear passport photo.")


def in_lang(text: Bilingual, lang: Lang) -> str:
    return text.ar if lang == "ar" else text.en


def strip_bidi_controls(text: str) -> str:
    return _BIDI_CONTROLS.sub("", text).strip()


def isolate_ltr(text: str) -> str:
    return f"{LRI}{strip_bidi_controls(text)}{PDI}"


def isolate(text: str) -> str:
    return f"{FSI}{strip_bidi_controls(text)}{PDI}"


def request_link(tracking_number: str) -> str:
    return f"/requests/{quote(tracking_number, safe='')}"


def absolute_link(public_url: str, tracking_number: str) -> str:
    return public_url.rstrip("/") + request_link(tracking_number)


def has_note(note: str | None) -> bool:
    return bool(note and strip_bidi_controls(note))


@dataclass(frozen=True)
class _Format:
    """How one format writes our own words, a left-to-right value, and text of unknown direction."""

    literal: Callable[[str], str]
    ltr: Callable[[str], str]
    free: Callable[[str], str]


def _same(text: str) -> str:
    return text


def _html_ltr(text: str) -> str:
    return f'<bdi dir="ltr">{escape(strip_bidi_controls(text))}</bdi>'


def _html_free(text: str) -> str:
    return f"<bdi>{escape(strip_bidi_controls(text))}</bdi>"


def _sms_ltr(text: str) -> str:
    return f"{LRM}{strip_bidi_controls(text)}{LRM}"


_TEXT = {"ar": _Format(_same, isolate_ltr, isolate), "en": _Format(_same, strip_bidi_controls, isolate)}
_HTML = {"ar": _Format(escape, _html_ltr, _html_free),
         "en": _Format(escape, lambda text: escape(strip_bidi_controls(text)), _html_free)}
_SMS = {"ar": _Format(_same, _sms_ltr, strip_bidi_controls), "en": _Format(_same, strip_bidi_controls,
                                                                             strip_bidi_controls)}


def _fill(text: Bilingual, lang: Lang, fmt: _Format, **values: str) -> str:
    return fmt.literal(in_lang(text, lang)).format(**values)


def _body(template: Template, values: Personalisation, lang: Lang, fmt: _Format) -> tuple[str, str | None]:
    """The main sentence and the ministry's note line (None without a note), in one format."""
    # In Arabic the service is an Arabic title or a Latin slug: it takes the direction it starts with.
    service = fmt.free(values.service) if lang == "ar" else fmt.ltr(values.service)
    body = _fill(template.body, lang, fmt, tracking=fmt.ltr(values.tracking_number), service=service,
                 status=fmt.literal(in_lang(template.status_name, lang)))
    note = _fill(NOTE_LINE, lang, fmt, note=fmt.free(values.note)) if values.note and has_note(values.note) else None
    return body, note


class Rendered(BaseModel):
    """An inbox entry."""

    model_config = ConfigDict(frozen=True)

    lang: Lang
    title: str
    body: str
    link: str


class EmailContent(BaseModel):
    model_config = ConfigDict(frozen=True)

    lang: Lang
    subject: str
    text: str
    html: str


def render_inbox(template: Template, values: Personalisation, lang: Lang) -> Rendered:
    body, note = _body(template, values, lang, _TEXT[lang])
    return Rendered(lang=lang, title=in_lang(template.title, lang), body=body if note is None else f"{body}\n{note}",
                    link=request_link(values.tracking_number))


def render_email(template: Template, values: Personalisation, lang: Lang, public_url: str) -> EmailContent:
    link = absolute_link(public_url, values.tracking_number)
    subject = in_lang(template.title, lang)
    body, note = _body(template, values, lang, _TEXT[lang])
    paragraphs = [body, *([note] if note else []), in_lang(LINK_LINE, lang).format(link=link), in_lang(FOOTER, lang)]
    if lang == "ar":
        # Plain text has no dir attribute: a mark at the start of each line makes every paragraph right-to-left.
        paragraphs = ["\n".join(RLM + line for line in p.split("\n")) for p in paragraphs]
    html_body, html_note = _body(template, values, lang, _HTML[lang])
    return EmailContent(lang=lang, subject=subject, text="\n\n".join(paragraphs) + "\n",
                        html=_html_page(lang, subject, html_body, html_note, link))


def _html_page(lang: Lang, subject: str, body: str, note: str | None, link: str) -> str:
    direction, align = ("rtl", "right") if lang == "ar" else ("ltr", "left")
    note_html = f'  <p style="margin:0 0 16px">{note}</p>\n' if note else ""
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{lang}" dir="{direction}">\n'
        '<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(subject)}</title>\n</head>\n"
        f'<body dir="{direction}" style="margin:0;padding:0">\n'
        f'<div dir="{direction}" lang="{lang}" style="direction:{direction};text-align:{align};'
        'font-family:Tahoma,Arial,sans-serif;font-size:16px;line-height:1.6;padding:24px;max-width:600px">\n'
        f'  <h1 style="font-size:20px;margin:0 0 16px">{escape(subject)}</h1>\n'
        f'  <p style="margin:0 0 16px">{body}</p>\n'
        f"{note_html}"
        f'  <p style="margin:0 0 24px"><a href="{escape(link, quote=True)}">{escape(in_lang(LINK_LABEL, lang))}</a>'
        "</p>\n"
        f'  <p style="margin:0;color:#555;font-size:13px">{escape(in_lang(FOOTER, lang))}</p>\n'
        "</div>\n</body>\n</html>\n")


def render_sms(template: Template, values: Personalisation, lang: Lang, public_url: str) -> str:
    """One short line: no ministry note (it can be long and personal), the link leads to everything."""
    fmt = _SMS[lang]
    line = _fill(template.sms, lang, fmt, tracking=fmt.ltr(values.tracking_number),
                 status=in_lang(template.status_name, lang))
    return f"{in_lang(SMS_SIGNATURE, lang)}: {line} {absolute_link(public_url, values.tracking_number)}"


def render_status_change(*, status: Status, tracking_number: str, service: str, note: str | None,
                         lang: Lang) -> Rendered:
    return render_inbox(TEMPLATES[status], Personalisation(tracking_number=tracking_number, service=service,
                                                           note=note), lang)
