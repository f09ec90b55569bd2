from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from services.notifications import handlers
from services.notifications.dispatcher import Dispatcher, ProviderStatus
from services.notifications.domain import (
    Channel,
    DeliveryStatus,
    Kind,
    Lang,
    NotFound,
    Notification,
    NotificationsError,
    Personalisation,
    Preferences,
    Template,
)
from services.notifications.handlers import Deps
from services.notifications.store import DeliveryState
from shared.auth import Identity, require_identity
from shared.contracts.base import Day, SafeText
from shared.web import Problem

router = APIRouter()
PAGE_SIZE = 20

Citizen = Annotated[Identity, Depends(require_identity("citizen"))]
Admin = Annotated[Identity, Depends(require_identity("admin"))]


async def get_deps(request: Request) -> Deps:
    """async: FastAPI runs a plain `def` dependency on a worker thread, a hand-over per request."""
    deps: Deps = request.app.state.deps
    return deps


async def get_dispatcher(request: Request) -> Dispatcher:
    dispatcher: Dispatcher = request.app.state.dispatcher
    return dispatcher


D = Annotated[Deps, Depends(get_deps)]


def problem(error: NotificationsError) -> Problem:
    return Problem(404 if isinstance(error, NotFound) else 400, error.code, error.detail)


class DeliveryView(BaseModel):
    """How one channel is doing: never the address or number it went to."""

    channel: Channel
    status: DeliveryStatus
    updated_at: datetime

    @classmethod
    def of(cls, state: DeliveryState) -> "DeliveryView":
        return cls(channel=state.channel, status=state.status, updated_at=state.updated_at)


class NotificationView(BaseModel):
    """What a citizen sees of a notification: never whose it is or the event behind it."""

    id: str
    kind: Kind
    channel: Channel
    lang: Lang
    title: str
    body: str
    link: str
    tracking_number: str
    created_at: datetime
    read_at: datetime | None
    deliveries: list[DeliveryView] = Field(default_factory=list)

    @classmethod
    def of(cls, notification: Notification, deliveries: list[DeliveryState] | None = None) -> "NotificationView":
        shown = notification.model_dump(include=set(cls.model_fields) - {"deliveries"})
        return cls.model_validate(shown | {"deliveries": [DeliveryView.of(d) for d in deliveries or []]})


class NotificationsPage(BaseModel):
    unread: int
    total: int
    page: int
    items: list[NotificationView]


class Marked(BaseModel):
    marked: int


@router.get("/api/v1/me/notifications")
async def list_notifications(citizen: Citizen, deps: D, unread_only: bool = False,
                             page: Annotated[int, Query(ge=1, le=10_000)] = 1) -> NotificationsPage:
    found = await handlers.list_notifications(citizen.subject, deps, unread_only=unread_only, limit=PAGE_SIZE,
                                              offset=(page - 1) * PAGE_SIZE)
    return NotificationsPage(unread=found.unread, total=found.total, page=page,
                             items=[NotificationView.of(n, found.deliveries.get(n.id)) for n in found.items])


# Declared before /{notification_id}/read so that "read-all" is never taken for an id.
@router.post("/api/v1/me/notifications/read-all")
async def mark_all_read(citizen: Citizen, deps: D) -> Marked:
    return Marked(marked=await handlers.mark_all_read(handlers.MarkAllRead(citizen.subject), deps))


@router.post("/api/v1/me/notifications/{notification_id}/read")
async def mark_read(notification_id: str, citizen: Citizen, deps: D) -> NotificationView:
    try:
        notification, deliveries = await handlers.mark_read(handlers.MarkRead(citizen.subject, notification_id), deps)
    except NotificationsError as error:
        raise problem(error) from error
    return NotificationView.of(notification, deliveries)


@router.get("/api/v1/me/preferences")
async def get_preferences(citizen: Citizen, deps: D) -> Preferences:
    return await handlers.find_preferences(citizen.subject, citizen.lang, deps)


@router.put("/api/v1/me/preferences")
async def set_preferences(body: Preferences, citizen: Citizen, deps: D) -> Preferences:
    return await handlers.set_preferences(handlers.SetPreferences(citizen.subject, body), deps)


class SampleValues(BaseModel):
    """Values to fill a template with in a preview; what is left out comes from a built-in sample."""

    model_config = ConfigDict(extra="forbid")

    tracking_number: SafeText = Field(default="ROP-2025-000123-F", min_length=1, max_length=64)
    service: SafeText = Field(default="passport-renewal", min_length=1, max_length=200)
    note: SafeText | None = Field(default="Please attach a clear passport photo.", max_length=2000)
    document_type: SafeText | None = Field(default="driving_licence", max_length=64)
    document_number: SafeText | None = Field(default="1234567", max_length=64)
    expires_on: Day | None = date(2026, 12, 20)


class PreviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lang: Lang = "ar"
    channel: Channel = "email"
    values: SampleValues = Field(default_factory=SampleValues)


class PreviewView(BaseModel):
    template: str
    version: int
    lang: Lang
    channel: Channel
    subject: str | None
    text: str
    html: str | None


@router.get("/api/v1/admin/notifications/templates")
async def list_templates(_: Admin) -> list[Template]:
    return handlers.list_templates()


@router.post("/api/v1/admin/notifications/templates/{template_id}/preview")
async def preview_template(template_id: str, body: PreviewRequest, _: Admin, deps: D) -> PreviewView:
    values = Personalisation.model_validate(body.values.model_dump(mode="json"))
    try:
        preview = handlers.preview_template(handlers.PreviewTemplate(template_id, body.lang, body.channel, values),
                                            deps)
    except NotificationsError as error:
        raise problem(error) from error
    return PreviewView(template=preview.template.id, version=preview.template.version, lang=preview.lang,
                       channel=preview.channel, subject=preview.subject, text=preview.text, html=preview.html)


class ChannelCount(BaseModel):
    channel: str
    status: str
    count: int


class ProvidersView(BaseModel):
    providers: list[ProviderStatus]
    deliveries: list[ChannelCount]


@router.get("/api/v1/admin/notifications/providers")
async def providers(_: Admin, deps: D, dispatcher: Annotated[Dispatcher, Depends(get_dispatcher)]) -> ProvidersView:
    """Each provider's circuit breaker, and how many deliveries stand at each status, for operators."""
    counts = await handlers.delivery_counts(deps)
    return ProvidersView(providers=dispatcher.providers(),
                         deliveries=[ChannelCount(channel=c, status=s, count=n) for c, s, n in counts])
