from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from services.notifications import handlers
from services.notifications.domain import (
    Channel,
    Kind,
    Lang,
    NotFound,
    Notification,
    NotificationsError,
    Preferences,
)
from services.notifications.handlers import Deps
from shared.auth import Identity, require_identity
from shared.web import Problem

router = APIRouter()
PAGE_SIZE = 20

Citizen = Annotated[Identity, Depends(require_identity("citizen"))]


def get_deps(request: Request) -> Deps:
    deps: Deps = request.app.state.deps
    return deps


D = Annotated[Deps, Depends(get_deps)]


def problem(error: NotificationsError) -> Problem:
    return Problem(404 if isinstance(error, NotFound) else 400, error.code, error.detail)


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

    @classmethod
    def of(cls, notification: Notification) -> "NotificationView":
        return cls.model_validate(notification.model_dump(include=set(cls.model_fields)))


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
                             items=[NotificationView.of(n) for n in found.items])


# Declared before /{notification_id}/read so that "read-all" is never taken for an id.
@router.post("/api/v1/me/notifications/read-all")
async def mark_all_read(citizen: Citizen, deps: D) -> Marked:
    return Marked(marked=await handlers.mark_all_read(handlers.MarkAllRead(citizen.subject), deps))


@router.post("/api/v1/me/notifications/{notification_id}/read")
async def mark_read(notification_id: str, citizen: Citizen, deps: D) -> NotificationView:
    try:
        notification = await handlers.mark_read(handlers.MarkRead(citizen.subject, notification_id), deps)
    except NotificationsError as error:
        raise problem(error) from error
    return NotificationView.of(notification)


@router.get("/api/v1/me/preferences")
async def get_preferences(citizen: Citizen, deps: D) -> Preferences:
    return await handlers.find_preferences(citizen.subject, citizen.lang, deps)


@router.put("/api/v1/me/preferences")
async def set_preferences(body: Preferences, citizen: Citizen, deps: D) -> Preferences:
    return await handlers.set_preferences(handlers.SetPreferences(citizen.subject, body), deps)
