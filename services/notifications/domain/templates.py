"""What a citizen reads, per event, language and channel: versioned templates filled with personalisation.

Each template says what happened in both languages, for the inbox and email (title and body) and for SMS
(one short line). Values come in through placeholders ({tracking}, {service}, {status}, {document}, {number},
{expires}) and are written differently per format so that right-to-left text stays readable: Unicode isolates
in plain text, <bdi> in HTML, plain marks in SMS (older handsets do not know isolates). Each kind of message
links to its own page: a request, the dashboard's renewal offers, or a request's rating form.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Literal, get_args
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.base import Bilingual
from shared.contracts.requests import Status
from shared.formats import format_date
from shared.i18n import LANGUAGES, load

Lang = Literal["ar", "en"]
Kind = Literal["request_status", "renewal_due", "survey_invited", "suggestion_offered"]

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
    # What the message is about, in a word (a request's status, "renewal due"): the {status} placeholder.
    status_name: Bilingual
    title: Bilingual
    # Placeholders: {tracking}, {service}, {status}, {document}, {number}, {expires}.
    body: Bilingual
    # The same placeholders but {service}; the link is appended.
    sms: Bilingual


class Personalisation(BaseModel):
    """The values a template is filled with. The service is its title in the message's language, or its slug."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Empty for what is not about one request (a renewal due).
    tracking_number: str = ""
    service: str = Field(min_length=1)
    note: str | None = None
    # A renewal due: which document (its type, e.g. driving_licence, named in the message's language), its
    # number and its expiry date (ISO, YYYY-MM-DD).
    document_type: str | None = None
    document_number: str | None = None
    expires_on: str | None = None


# The words live in gettext catalogues (services/notifications/locale, key `<template id>.<part>`), read once
# when this module is imported: they are part of the code, like the template versions below.
WORDS = load(Path(__file__).resolve().parent.parent / "locale", "notifications")


def said(key: str) -> Bilingual:
    """A catalogue's text in both languages; a key missing from either stops the service at start, not a message."""
    found = {lang: str(WORDS[lang].gettext(key)) for lang in LANGUAGES}
    missing = [lang for lang, text in found.items() if text == key or not text]
    if missing:
        raise KeyError(f"{key!r} is not written in the {missing} notifications catalogue")
    return Bilingual(ar=found["ar"], en=found["en"])


def _template(id: str, version: int, kind: Kind) -> Template:
    return Template(id=id, version=version, kind=kind, status_name=said(f"{id}.status_name"),
                    title=said(f"{id}.title"), body=said(f"{id}.body"), sms=said(f"{id}.sms"))


TEMPLATES: dict[Status, Template] = {
    status: _template(f"request_status.{status}", 1, "request_status") for status in get_args(Status)}
RENEWAL_DUE = _template("renewal_due", 1, "renewal_due")
SURVEY_INVITED = _template("survey_invited", 1, "survey_invited")
SUGGESTION_OFFERED = _template("suggestion_offered", 1, "suggestion_offered")
BY_ID: dict[str, Template] = {template.id: template for template in
                              (*TEMPLATES.values(), RENEWAL_DUE, SURVEY_INVITED, SUGGESTION_OFFERED)}

NOTE_LINE = said("note_line")
# Per kind: the line with the link in plain text, and the link's words in HTML.
LINK_LINES: dict[Kind, Bilingual] = {kind: said(f"link_line.{kind}") for kind in get_args(Kind)}
LINK_LABELS: dict[Kind, Bilingual] = {kind: said(f"link_label.{kind}") for kind in get_args(Kind)}
FOOTER = said("footer")
SENDER_NAME = said("sender_name")
SMS_SIGNATURE = said("sms_signature")

SAMPLE = Personalisation(tracking_number="ROP-2025-000123-F", service="passport-renewal",
                         note="Please attach a clear passport photo.", document_type="driving_licence",
                         document_number="1234567", expires_on="2026-12-20")


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


def link_of(kind: Kind, tracking_number: str) -> str:
    """Where the message leads on the portal: the request, its rating form or its suggestions, or the dashboard's
    offers."""
    if kind == "renewal_due":
        return "/dashboard#offers"
    if kind == "survey_invited":
        return request_link(tracking_number) + "/rating"
    if kind == "suggestion_offered":
        return request_link(tracking_number) + "#suggestions"
    return request_link(tracking_number)


def absolute_link(public_url: str, tracking_number: str, kind: Kind = "request_status") -> str:
    return public_url.rstrip("/") + link_of(kind, tracking_number)


def document_label(document_type: str | None, lang: Lang) -> str:
    """A document type in the message's language; one the catalogue does not name yet (a ministry's new type) as is."""
    key = f"document_{document_type or ''}"
    found = str(WORDS[lang].gettext(key))
    return (document_type or "").replace("_", " ") if found == key else found


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
    body = _fill(template.body, lang, fmt, service=service, **_document_values(template, values, lang, fmt))
    note = _fill(NOTE_LINE, lang, fmt, note=fmt.free(values.note)) if values.note and has_note(values.note) else None
    return body, note


def _document_values(template: Template, values: Personalisation, lang: Lang, fmt: _Format,
                     hijri: bool = True) -> dict[str, str]:
    """Every placeholder but {service}: a template uses those it needs. The expiry date is written in words, with
    its Hijri date but in SMS (one short line); in Arabic it takes the right-to-left order of its month name."""
    expires = format_date(values.expires_on, lang, hijri=hijri)
    return {"tracking": fmt.ltr(values.tracking_number), "status": fmt.literal(in_lang(template.status_name, lang)),
            "document": fmt.literal(document_label(values.document_type, lang)),
            "number": fmt.ltr(values.document_number or ""),
            "expires": fmt.free(expires) if lang == "ar" else fmt.ltr(expires)}


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
                    link=link_of(template.kind, values.tracking_number))


def render_email(template: Template, values: Personalisation, lang: Lang, public_url: str) -> EmailContent:
    link = absolute_link(public_url, values.tracking_number, template.kind)
    subject = in_lang(template.title, lang)
    body, note = _body(template, values, lang, _TEXT[lang])
    paragraphs = [body, *([note] if note else []), in_lang(LINK_LINES[template.kind], lang).format(link=link),
                  in_lang(FOOTER, lang)]
    if lang == "ar":
        # Plain text has no dir attribute: a mark at the start of each line makes every paragraph right-to-left.
        paragraphs = ["\n".join(RLM + line for line in p.split("\n")) for p in paragraphs]
    html_body, html_note = _body(template, values, lang, _HTML[lang])
    return EmailContent(lang=lang, subject=subject, text="\n\n".join(paragraphs) + "\n",
                        html=_html_page(lang, subject, html_body, html_note, link, in_lang(LINK_LABELS[template.kind],
                                                                                           lang)))


def _html_page(lang: Lang, subject: str, body: str, note: str | None, link: str, label: str) -> str:
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
        f'  <p style="margin:0 0 24px"><a href="{escape(link, quote=True)}">{escape(label)}</a>'
        "</p>\n"
        f'  <p style="margin:0;color:#555;font-size:13px">{escape(in_lang(FOOTER, lang))}</p>\n'
        "</div>\n</body>\n</html>\n")


def render_sms(template: Template, values: Personalisation, lang: Lang, public_url: str) -> str:
    """One short line: no ministry note (it can be long and personal), the link leads to everything."""
    fmt = _SMS[lang]
    line = _fill(template.sms, lang, fmt, **_document_values(template, values, lang, fmt, hijri=False))
    return f"{in_lang(SMS_SIGNATURE, lang)}: {line} {absolute_link(public_url, values.tracking_number, template.kind)}"


def render_status_change(*, status: Status, tracking_number: str, service: str, note: str | None,
                         lang: Lang) -> Rendered:
    return render_inbox(TEMPLATES[status], Personalisation(tracking_number=tracking_number, service=service,
                                                           note=note), lang)
