"""What the notifications integration tests share: a real SMTP server that can be told to refuse, an SMS
provider that records, fast settings, and the service running in-process on the in-memory bus."""

import asyncio
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from services.notifications.app import create_app
from services.notifications.channels import OutgoingSms, ProviderUnavailable, Receipt, SmsSender
from services.notifications.config import Settings
from services.notifications.handlers import ServiceTitles
from shared.auth import IdentitySigner
from shared.bus import Envelope
from shared.bus.topology import EVENTS
from shared.contracts.requests import RequestStatusChanged
from tests.factories import create_admin, create_citizen

AISHA = "12345678"
SALIM = "87654321"
AISHA_EMAIL = "aisha@example.om"
AISHA_PHONE = "+96891234567"
ROUTING_KEY = "requests.request.status_changed"


def create_status_change(citizen: str = AISHA, tracking_number: str = "MOH-2025-000123-K",
                         status: str = "approved", lang: str = "ar", note: str | None = None,
                         service: str = "passport-renewal") -> RequestStatusChanged:
    return RequestStatusChanged.model_validate({
        "tracking_number": tracking_number, "service": service, "ministry": "moh",
        "citizen": citizen, "lang": lang, "status": status, "previous_status": "in_review", "note": note,
        "actor": "moh", "changed_at": datetime.now(UTC)})


def envelope_of(event: RequestStatusChanged) -> Envelope:
    return Envelope(type=RequestStatusChanged.TYPE, source="/requests", data=event.model_dump(mode="json"))


async def publish(app: FastAPI, envelope: Envelope) -> None:
    await app.state.runtime.bus.publish(envelope, EVENTS, ROUTING_KEY)


async def eventually(check: Callable[[], Awaitable[Any]], within: float = 5.0) -> Any:
    """Poll until check returns something truthy; fail after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"nothing arrived within {within} s")
        await asyncio.sleep(0.02)


def as_citizen(signer: IdentitySigner, national_id: str = AISHA, lang: str = "ar") -> dict[str, str]:
    return {"x-portal-identity": signer.sign(create_citizen(national_id=national_id, lang=lang))}


def as_admin(signer: IdentitySigner) -> dict[str, str]:
    return {"x-portal-identity": signer.sign(create_admin())}


async def inbox_of(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = await client.get("/api/v1/me/notifications", headers=headers, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def wait_for_total(client: httpx.AsyncClient, headers: dict[str, str], total: int,
                         within: float = 5.0) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        inbox = await inbox_of(client, headers)
        return inbox if inbox["total"] >= total else None

    found: dict[str, Any] = await eventually(check, within)
    return found


def delivery_statuses(item: dict[str, Any]) -> dict[str, str]:
    return {d["channel"]: d["status"] for d in item["deliveries"]}


async def wait_for_deliveries(client: httpx.AsyncClient, headers: dict[str, str], expected: dict[str, str],
                              tracking_number: str | None = None, within: float = 5.0) -> dict[str, Any]:
    """The citizen's newest notification (or the one for `tracking_number`) once its deliveries read so."""

    async def check() -> dict[str, Any] | None:
        items = (await inbox_of(client, headers))["items"]
        items = [i for i in items if tracking_number is None or i["tracking_number"] == tracking_number]
        return items[0] if items and delivery_statuses(items[0]) == expected else None

    found: dict[str, Any] = await eventually(check, within)
    return found


def create_preferences(lang: str = "ar", channels: tuple[str, ...] = ("inbox", "email"),
                       email: str | None = AISHA_EMAIL, phone: str | None = None,
                       quiet_hours: dict[str, str] | None = None) -> dict[str, Any]:
    return {"lang": lang, "channels": list(channels), "email": email, "phone": phone, "quiet_hours": quiet_hours}


async def save_preferences(client: httpx.AsyncClient, headers: dict[str, str], preferences: dict[str, Any]) -> None:
    response = await client.put("/api/v1/me/preferences", headers=headers, json=preferences)
    assert response.status_code == 200, response.text


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class SmtpBehaviour:
    """An aiosmtpd handler that keeps what it accepts and refuses what it is told to, like a real relay."""

    # Recipients refused for good: address -> the reply, e.g. "550 5.1.1 mailbox unavailable".
    refused: dict[str, str] = field(default_factory=dict)
    # The next this many recipients get "451 try again later".
    temporary_refusals: int = 0
    received: list[EmailMessage] = field(default_factory=list)
    recipients_tried: list[str] = field(default_factory=list)
    # The client address of each accepted message's session: one per SMTP connection.
    sessions: list[Any] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        self.recipients_tried.append(address)
        if address in self.refused:
            return self.refused[address]
        if self.temporary_refusals > 0:
            self.temporary_refusals -= 1
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content or envelope.content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        self.received.append(message)
        self.sessions.append(session.peer)
        return "250 Message accepted for delivery"


class SmtpServer:
    """A real SMTP server (aiosmtpd's Controller, in its own thread) on a free local port."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.behaviour = SmtpBehaviour()
        self._controller: Controller | None = None

    def start(self) -> "SmtpServer":
        self._controller = Controller(self.behaviour, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def received(self) -> list[EmailMessage]:
        return self.behaviour.received


class RecordingSms(SmsSender):
    """An SMS provider that keeps what it is given (with the number, to check it) and can be taken down."""

    name = "sms-test"

    def __init__(self) -> None:
        self.sent: list[OutgoingSms] = []
        self.down = False

    async def send_sms(self, sms: OutgoingSms) -> Receipt:
        if self.down:
            raise ProviderUnavailable("connection-refused")
        self.sent.append(sms)
        return Receipt(reference=f"test-{len(self.sent)}", delivered=True)


def fast_settings(database_url: str, public_key: str, smtp_port: int, **overrides: Any) -> Settings:
    """Settings that make retries, breakers and the dispatcher take milliseconds, not minutes."""
    values: dict[str, Any] = {
        "database_url": database_url, "amqp_url": f"memory://notifications-test-{uuid.uuid4()}",
        "identity_public_key": public_key, "public_url": "https://portal.gov.om",
        "smtp_host": "127.0.0.1", "smtp_port": smtp_port, "smtp_starttls": False, "smtp_timeout_seconds": 2.0,
        "retry_max_attempts": 4, "retry_base_seconds": 0.05, "retry_cap_seconds": 0.2,
        "breaker_failure_threshold": 2, "breaker_reset_seconds": 0.4,
        "dispatch_poll_seconds": 0.05, "outbox_poll_seconds": 0.05,
    }
    return Settings(**(values | overrides))


@asynccontextmanager
async def running(settings: Settings, sms: SmsSender | None = None, titles: ServiceTitles | None = None
                  ) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(settings, sms=sms, titles=titles)
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield app, client
