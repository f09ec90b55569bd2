"""Notifications: status events in, in-app notifications and emails out, through a real SMTP server.

The notifications service runs in this process (its own FastAPI app and lifespan, SQLite, the in-memory
bus or RabbitMQ in a fresh vhost); the SMTP server is `portal.dev_mail` (aiosmtpd) in its own process.
Each citizen has chosen email, so every status event becomes one inbox notification (delivered at once)
and one email (sent once the SMTP server accepts it). The baseline is raw aiosmtplib.send of the same
messages to the same server, as many in flight as the dispatcher takes per batch: what the notifications
service (its database writes, retries bookkeeping and breaker) costs on top of SMTP itself.

Each repeat runs the baseline and the service back to back (in alternating order), so the two meet the same
load on a shared machine; the ratio is the median of the repeats' ratios, and this process's CPU time per
e-mail is reported beside each rate (what the machine's load hardly moves). The run is watched through the
service's delivery counter, not by querying its database, so that watching costs the service nothing.
"""

import asyncio
import os
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path

import aiosmtplib

from bench.serving import served
from bench.settings import BenchSettings
from bench.stats import median, table
from services.notifications import handlers
from services.notifications.app import create_app
from services.notifications.channels import OutgoingEmail
from services.notifications.channels.email import build_message
from services.notifications.config import Settings
from services.notifications.domain import TEMPLATES, Personalisation, Preferences, render_email
from shared.auth import generate_keypair
from shared.bus import Envelope
from shared.bus.admin import BrokerAdmin
from shared.bus.topology import EVENTS
from shared.contracts.requests import RequestStatusChanged

DONE_TIMEOUT = 120.0
POLL_SECONDS = 0.01
DELIVERIES = "portal_notifications_deliveries_total"
BATCH = 16
STATUS_KEY = "requests.request.status_changed"
HELO = "bench.portal.gov.om"


@dataclass
class NotificationsResult:
    notifications: int
    repeats: int
    bus: str
    inbox_rates: list[float] = field(default_factory=list)
    email_rates: list[float] = field(default_factory=list)
    raw_smtp_rates: list[float] = field(default_factory=list)
    # This process's CPU time per e-mail, µs: the whole service (its loops, SQLite's thread) or aiosmtplib alone.
    email_cpu_us: list[float] = field(default_factory=list)
    raw_smtp_cpu_us: list[float] = field(default_factory=list)

    def ratios(self) -> list[float]:
        """Sent e-mails per second over raw aiosmtplib sends per second, repeat by repeat (run back to back)."""
        return [ours / raw for ours, raw in zip(self.email_rates, self.raw_smtp_rates, strict=True)]

    @property
    def ratio(self) -> float:
        return median(self.ratios())

    @property
    def cpu_ratio(self) -> float:
        """Raw aiosmtplib's CPU per e-mail over the service's (1.0: the service costs no more than SMTP)."""
        return median(self.raw_smtp_cpu_us) / median(self.email_cpu_us)


def _citizen(n: int) -> str:
    return f"9{n:07d}"


def _event(n: int) -> Envelope:
    event = RequestStatusChanged(tracking_number=f"BEN-2025-{n:06d}-X", service="bench-service", ministry="bench",
                                 citizen=_citizen(n), lang="ar", status="approved", previous_status="in_review",
                                 note=None, actor="bench", changed_at=datetime.now(UTC))
    return Envelope(type=RequestStatusChanged.TYPE, source="/requests", data=event.model_dump(mode="json"))


def _raw_messages(count: int) -> list[Message]:
    content = render_email(TEMPLATES["approved"], Personalisation(tracking_number="BEN-2025-000000-W",
                                                                  service="bench-service"), "ar",
                           "https://portal.gov.om")
    return [build_message(OutgoingEmail(str(uuid.uuid4()), f"citizen{n}@example.om", "ar", content.subject,
                                        content.text, content.html), "no-reply@portal.gov.om")
            for n in range(count)]


async def raw_smtp_rate(port: int, count: int, in_flight: int = BATCH) -> tuple[float, float]:
    """(messages per second that aiosmtplib alone gets accepted by the server, `in_flight` at a time; CPU µs per
    message, building it included, as the service builds each of its own)."""
    cpu_started = time.process_time()
    messages = _raw_messages(count)
    gate = asyncio.Semaphore(in_flight)

    async def send(message: Message) -> None:
        async with gate:
            await aiosmtplib.send(message, hostname="127.0.0.1", port=port, start_tls=False, local_hostname=HELO)

    started = time.perf_counter()
    await asyncio.gather(*(send(m) for m in messages))
    return count / (time.perf_counter() - started), (time.process_time() - cpu_started) / count * 1e6


def _counted(channel: str, status: str) -> float:
    # The one counter, not the registry (REGISTRY.get_sample_value collects every metric, the process collector
    # reading /proc, at each look), nor the metric (all its channels and statuses: 21 us a look, 3 us for one):
    # the watching is charged to the service's CPU.
    return next(sample.value for metric in handlers.DELIVERIES.labels(channel, status).collect()
                for sample in metric.samples if sample.name == DELIVERIES)


@asynccontextmanager
async def _bus_url(settings: BenchSettings, use_broker: bool) -> AsyncIterator[str]:
    if not use_broker:
        yield f"memory://bench-notifications-{uuid.uuid4().hex[:8]}"
        return
    vhost = f"bench-notifications-{uuid.uuid4().hex[:8]}"
    admin = BrokerAdmin(settings.management_url, "guest", "guest", vhost)
    await admin.ensure_vhost()
    await admin.grant_admin("guest")
    try:
        yield settings.amqp_url(vhost)
    finally:
        await admin.delete_vhost()
        await admin.close()


async def _one_run(settings: BenchSettings, port: int, count: int, use_broker: bool) -> tuple[float, float, float]:
    """(in-app notifications per second, emails sent per second, CPU µs per e-mail) for `count` status events
    published at once."""
    with tempfile.TemporaryDirectory(prefix="bench-notifications-") as run_dir:
        async with _bus_url(settings, use_broker) as amqp_url:
            service = Settings(database_url=f"sqlite+aiosqlite:///{Path(run_dir) / 'notifications.db'}",
                               amqp_url=amqp_url, identity_public_key=generate_keypair()[1], log_level="warning",
                               smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False, dispatch_batch=BATCH,
                               public_url="https://portal.gov.om")
            app = create_app(service)
            async with served(app, startup_timeout=60, shutdown_timeout=60):
                deps = app.state.deps
                for n in range(count):
                    await handlers.set_preferences(handlers.SetPreferences(_citizen(n), Preferences(
                        lang="ar", channels=["inbox", "email"], email=f"citizen{n}@example.om")), deps)
                events = [_event(n) for n in range(count)]
                bus = app.state.runtime.bus
                inbox_before, sent_before = _counted("inbox", "delivered"), _counted("email", "sent")
                cpu_started = time.process_time()
                started = time.perf_counter()
                for envelope in events:
                    await bus.publish(envelope, EVENTS, STATUS_KEY)
                inbox_seconds = email_seconds = 0.0
                while not email_seconds:
                    elapsed = time.perf_counter() - started
                    if not inbox_seconds and _counted("inbox", "delivered") - inbox_before >= count:
                        inbox_seconds = elapsed
                    if _counted("email", "sent") - sent_before >= count:
                        email_seconds = elapsed
                    elif elapsed > DONE_TIMEOUT:
                        raise TimeoutError(f"not every email was sent within {DONE_TIMEOUT:.0f} s")
                    await asyncio.sleep(POLL_SECONDS)
                cpu_us = (time.process_time() - cpu_started) / count * 1e6
                # The counter is what was watched; the database is what counts.
                counts = {(channel, status): n for channel, status, n in await handlers.delivery_counts(deps)}
                if counts.get(("email", "sent"), 0) != count or counts.get(("inbox", "delivered"), 0) != count:
                    raise RuntimeError(f"the database does not hold what the counters said: {counts}")
    return count / inbox_seconds, count / email_seconds, cpu_us


@asynccontextmanager
async def _mail_server() -> AsyncIterator[int]:
    """`portal.dev_mail` in its own process on a free port, as a relay is in production: in this process its
    thread would compete with the service for the interpreter lock and slow both."""
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="bench-mail-") as directory:
        process = await asyncio.create_subprocess_exec(sys.executable, "-m", "portal.dev_mail", directory, str(port),
                                                       stdout=asyncio.subprocess.DEVNULL,
                                                       stderr=asyncio.subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while not _listening(port):
                if process.returncode is not None or time.monotonic() > deadline:
                    raise RuntimeError("the development mail server did not start")
                await asyncio.sleep(0.05)
            yield port
        finally:
            process.terminate()
            await process.wait()


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


async def measure_notifications(settings: BenchSettings, *, notifications: int | None = None,
                                use_broker: bool = False) -> NotificationsResult:
    """settings.repeats (at least 5) paired repeats, each with a fresh database and the raw SMTP baseline right
    before or after it, alternately."""
    count = notifications or int(os.environ.get("BENCH_NOTIFICATIONS", "300"))
    repeats = max(settings.repeats, 5)
    result = NotificationsResult(count, repeats, "RabbitMQ" if use_broker else "in-memory bus")
    async with _mail_server() as port:
        await raw_smtp_rate(port, min(count, 50))  # warm-up
        for repeat in range(repeats):
            if repeat % 2 == 0:
                raw, raw_cpu = await raw_smtp_rate(port, count)
            inbox, email, email_cpu = await _one_run(settings, port, count, use_broker)
            if repeat % 2 == 1:
                raw, raw_cpu = await raw_smtp_rate(port, count)
            result.raw_smtp_rates.append(raw)
            result.raw_smtp_cpu_us.append(raw_cpu)
            result.inbox_rates.append(inbox)
            result.email_rates.append(email)
            result.email_cpu_us.append(email_cpu)
    return result


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _rate(value: float) -> str:
    return f"{value:,.0f}"


def notifications_report(result: NotificationsResult) -> str:
    rows = [
        ["status event → in-app (inbox delivered)", _rate(median(result.inbox_rates)),
         " / ".join(_rate(v) for v in result.inbox_rates)],
        ["status event → email sent (SMTP accepted)", _rate(median(result.email_rates)),
         " / ".join(_rate(v) for v in result.email_rates)],
        [f"raw aiosmtplib.send, {BATCH} in flight (baseline)", _rate(median(result.raw_smtp_rates)),
         " / ".join(_rate(v) for v in result.raw_smtp_rates)],
        ["e-mail sent / raw send (each repeat's pair)", f"{result.ratio:.2f}",
         " / ".join(f"{v:.2f}" for v in result.ratios())],
        ["CPU µs per e-mail: the service", _rate(median(result.email_cpu_us)),
         " / ".join(_rate(v) for v in result.email_cpu_us)],
        ["CPU µs per e-mail: raw aiosmtplib", _rate(median(result.raw_smtp_cpu_us)),
         " / ".join(_rate(v) for v in result.raw_smtp_cpu_us)],
    ]
    return "\n".join([
        f"Notifications: {result.notifications} status events published at once, each citizen on inbox + email; "
        f"in-process service on the {result.bus}, SQLite; aiosmtpd (portal.dev_mail) in its own process; "
        f"median of {result.repeats}, each with its raw baseline",
        "",
        table(["per second", "median", "each run"], rows),
        "",
        f"email notifications/s = {result.ratio:.2f}× raw aiosmtplib sends/s to the same server (median of "
        f"{result.repeats} paired repeats); CPU per e-mail raw/service {result.cpu_ratio:.2f}",
    ])
