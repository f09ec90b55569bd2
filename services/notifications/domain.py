"""Notification rules: what a citizen is told when a request moves, in which language, on which channel."""

import re
import uuid
from datetime import datetime
from typing import Literal, get_args
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.contracts.base import Bilingual
from shared.contracts.requests import Status

Lang = Literal["ar", "en"]
Channel = Literal["inbox", "email", "sms"]
Kind = Literal["request_status"]

CHANNELS: tuple[Channel, ...] = get_args(Channel)
STATUSES: tuple[Status, ...] = get_args(Status)
INBOX: Channel = "inbox"
DEFAULT_LANG: Lang = "ar"

LRI = "\u2066"  # left-to-right isolate: a Latin/digit run inside Arabic keeps its own order
FSI = "\u2068"  # first-strong isolate: text of unknown direction (a ministry's note) stays self-contained
PDI = "\u2069"  # pop directional isolate
# Untrusted text must not carry its own bidi controls: a stray PDI or override would break out of our isolate
# and reorder the sentence around it.
_BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


class NotificationsError(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code, self.detail = code, detail


class NotFound(NotificationsError):
    pass


class Template(BaseModel):
    model_config = ConfigDict(frozen=True)

    status_name: Bilingual
    title: Bilingual
    # Placeholders: {tracking}, {service}, {status}.
    body: Bilingual


TEMPLATES: dict[Status, Template] = {
    "submitted": Template(
        status_name=Bilingual(ar="تم التقديم", en="Submitted"),
        title=Bilingual(ar="تم تقديم طلبك", en="Your request was submitted"),
        body=Bilingual(
            ar="تم تقديم طلبك رقم {tracking} لخدمة {service} بنجاح، وسيُحال إلى الجهة المختصة. "
               "الحالة: {status}.",
            en="Your request {tracking} for {service} was submitted and is on its way to the ministry. "
               "Status: {status}.")),
    "received": Template(
        status_name=Bilingual(ar="تم الاستلام", en="Received"),
        title=Bilingual(ar="تم استلام طلبك", en="Your request was received"),
        body=Bilingual(
            ar="استلمت الجهة المختصة طلبك رقم {tracking} لخدمة {service}. الحالة: {status}.",
            en="The ministry has received your request {tracking} for {service}. Status: {status}.")),
    "in_review": Template(
        status_name=Bilingual(ar="قيد المراجعة", en="In review"),
        title=Bilingual(ar="طلبك قيد المراجعة", en="Your request is in review"),
        body=Bilingual(
            ar="تقوم الجهة المختصة بمراجعة طلبك رقم {tracking} لخدمة {service}. الحالة: {status}.",
            en="The ministry is reviewing your request {tracking} for {service}. Status: {status}.")),
    "action_required": Template(
        status_name=Bilingual(ar="مطلوب إجراء", en="Action required"),
        title=Bilingual(ar="مطلوب إجراء منك", en="Action is required from you"),
        body=Bilingual(
            ar="يحتاج طلبك رقم {tracking} لخدمة {service} إلى إجراء منك لاستكمال معالجته. الحالة: {status}.",
            en="Your request {tracking} for {service} needs an action from you before it can continue. "
               "Status: {status}.")),
    "approved": Template(
        status_name=Bilingual(ar="تمت الموافقة", en="Approved"),
        title=Bilingual(ar="تمت الموافقة على طلبك", en="Your request was approved"),
        body=Bilingual(
            ar="يسعدنا إبلاغك بأنه تمت الموافقة على طلبك رقم {tracking} لخدمة {service}. الحالة: {status}.",
            en="Good news: your request {tracking} for {service} was approved. Status: {status}.")),
    "rejected": Template(
        status_name=Bilingual(ar="مرفوض", en="Rejected"),
        title=Bilingual(ar="تم رفض طلبك", en="Your request was rejected"),
        body=Bilingual(
            ar="نأسف لإبلاغك بأنه تم رفض طلبك رقم {tracking} لخدمة {service}. الحالة: {status}.",
            en="We are sorry: your request {tracking} for {service} was rejected. Status: {status}.")),
    "completed": Template(
        status_name=Bilingual(ar="مكتمل", en="Completed"),
        title=Bilingual(ar="اكتمل طلبك", en="Your request is complete"),
        body=Bilingual(
            ar="اكتمل طلبك رقم {tracking} لخدمة {service}. الحالة: {status}.",
            en="Your request {tracking} for {service} is complete. Status: {status}.")),
    "cancelled": Template(
        status_name=Bilingual(ar="ملغى", en="Cancelled"),
        title=Bilingual(ar="تم إلغاء طلبك", en="Your request was cancelled"),
        body=Bilingual(
            ar="تم إلغاء طلبك رقم {tracking} لخدمة {service}. الحالة: {status}.",
            en="Your request {tracking} for {service} was cancelled. Status: {status}.")),
}

NOTE_LINE = Bilingual(ar="ملاحظة الجهة المختصة: {note}", en="Note from the ministry: {note}")


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


def choose_language(preferred: Lang | None, request_lang: Lang) -> Lang:
    """The citizen's stated preference wins over the language the request was made in."""
    return preferred or request_lang


class Rendered(BaseModel):
    model_config = ConfigDict(frozen=True)

    lang: Lang
    title: str
    body: str
    link: str


def render_status_change(*, status: Status, tracking_number: str, service: str, note: str | None,
                         lang: Lang) -> Rendered:
    template = TEMPLATES[status]
    if lang == "ar":
        tracking, service_text = isolate_ltr(tracking_number), isolate_ltr(service)
    else:
        tracking, service_text = strip_bidi_controls(tracking_number), strip_bidi_controls(service)
    body = in_lang(template.body, lang).format(tracking=tracking, service=service_text,
                                                 status=in_lang(template.status_name, lang))
    if note and strip_bidi_controls(note):
        body += "\n" + in_lang(NOTE_LINE, lang).format(note=isolate(note))
    return Rendered(lang=lang, title=in_lang(template.title, lang), body=body,
                    link=request_link(tracking_number))


class Notification(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    citizen: str
    kind: Kind
    channel: Channel
    lang: Lang
    title: str
    body: str
    link: str
    tracking_number: str
    created_at: datetime
    read_at: datetime | None = None
    event_id: str
    idempotency_key: str


def idempotency_key(event_id: str, channel: Channel) -> str:
    return f"{event_id}:{channel}"


def status_notification(*, event_id: str, citizen: str, lang: Lang, status: Status, tracking_number: str,
                        service: str, note: str | None, now: datetime) -> Notification:
    rendered = render_status_change(status=status, tracking_number=tracking_number, service=service,
                                    note=note, lang=lang)
    return Notification(id=str(uuid.uuid4()), citizen=citizen, kind="request_status", channel=INBOX,
                        lang=rendered.lang, title=rendered.title, body=rendered.body, link=rendered.link,
                        tracking_number=tracking_number, created_at=now, event_id=event_id,
                        idempotency_key=idempotency_key(event_id, INBOX))


class Preferences(BaseModel):
    """How a citizen wants to be reached. The in-app inbox is the record of everything, so it is always on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lang: Lang
    channels: list[Channel] = Field(min_length=1, max_length=len(CHANNELS))

    @field_validator("channels", mode="before")
    @classmethod
    def _unique(cls, value: object) -> object:
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return list(dict.fromkeys(value))
        return value

    @field_validator("channels")
    @classmethod
    def _inbox_stays_on(cls, value: list[Channel]) -> list[Channel]:
        if INBOX not in value:
            raise ValueError("the inbox is always on and cannot be removed")
        return value


def default_preferences(lang: str) -> Preferences:
    chosen: Lang = "en" if lang == "en" else DEFAULT_LANG
    return Preferences(lang=chosen, channels=[INBOX])
