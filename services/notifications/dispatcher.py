"""The dispatcher: one loop per channel (email, SMS) that takes due deliveries from the database, sends them
through that channel's provider behind its circuit breaker, and records what happened.

One loop per channel, so a slow or dead provider delays only its own channel. The database is held only to
take deliveries and to record outcomes, never while a provider is being talked to. Deliveries live in the
database, so whatever was queued or waiting for a retry when the service stopped goes out after it starts.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from services.notifications import handlers
from services.notifications.channels import (
    EmailSender,
    OutgoingEmail,
    OutgoingSms,
    PermanentFailure,
    ProviderUnavailable,
    Receipt,
    SmsSender,
    TemporaryFailure,
)
from services.notifications.domain import Accepted, Channel, Deferred, Delivery, Failed, Outcome, Refused
from services.notifications.handlers import ClaimDue, Deps, RecordAttempts
from services.notifications.store import Claimed
from shared.breaker import BreakerState, CircuitBreaker
from shared.logging import get_logger

log = get_logger(__name__)
STOP_SECONDS = 15.0

Send = Callable[[Delivery, str], Awaitable[Receipt]]


class Doorbell:
    """Rung when a delivery is queued, so its channel's loop need not wait for its next poll."""

    def __init__(self, channels: tuple[Channel, ...] = ("email", "sms")) -> None:
        self._events = {channel: asyncio.Event() for channel in channels}

    def ring(self, channel: Channel) -> None:
        event = self._events.get(channel)
        if event is not None:
            event.set()

    async def wait(self, channel: Channel, seconds: float) -> None:
        event = self._events[channel]
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await event.wait()
        event.clear()


@dataclass(frozen=True)
class ProviderStatus:
    channel: Channel
    provider: str
    state: BreakerState
    retry_in_seconds: float
    trips: int


@dataclass(frozen=True)
class DispatchSettings:
    poll_seconds: float = 1.0
    batch: int = 16
    lease_seconds: float = 120.0
    linger_seconds: float = 0.05


class ChannelLoop:
    def __init__(self, channel: Channel, provider: str, send: Send, breaker: CircuitBreaker, deps: Deps,
                 doorbell: Doorbell, settings: DispatchSettings) -> None:
        self.channel, self.provider, self.breaker = channel, provider, breaker
        self._send, self._deps, self._doorbell, self._settings = send, deps, doorbell, settings
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name=f"notifications-dispatch-{self.channel}")

    async def stop(self) -> None:
        """Let the batch in flight finish (bounded): cancelling mid-transaction can strand a connection."""
        if self._task is None:
            return
        self._stopping = True
        self._doorbell.ring(self.channel)
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout=STOP_SECONDS)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None

    async def _run(self) -> None:
        while not self._stopping:
            try:
                taken = await self.dispatch_once()
            except Exception:
                log.exception("dispatch_failed", channel=self.channel)
                taken = 0
            if self._stopping:
                break
            if taken >= self._settings.batch:
                continue
            if taken:
                # More are arriving: let them gather into one batch, so each costs fewer database writes.
                await asyncio.sleep(self._settings.linger_seconds)
                continue
            wait = self._settings.poll_seconds
            if self.breaker.state == "open":
                wait = min(wait, max(self.breaker.retry_in(), 0.01))
            await self._doorbell.wait(self.channel, wait)

    async def dispatch_once(self) -> int:
        """Send one batch of due deliveries; return how many were taken (0: nothing due, or breaker open)."""
        state = self.breaker.state
        if state == "open":
            return 0
        # Half-open: one delivery is the probe; the rest wait for its answer.
        limit = 1 if state == "half_open" else self._settings.batch
        claimed = await handlers.claim_due_deliveries(ClaimDue(self.channel, limit, self._settings.lease_seconds),
                                                      self._deps)
        if not claimed:
            return 0
        outcomes = await asyncio.gather(*(self._attempt(c) for c in claimed))
        await handlers.record_attempts(RecordAttempts(list(zip(claimed, outcomes, strict=True))), self._deps)
        return len(claimed)

    async def _attempt(self, claimed: Claimed) -> Outcome:
        delivery, preferences = claimed.delivery, claimed.preferences
        now = self._deps.clock()
        if preferences is None or self.channel not in preferences.channels:
            return Refused("channel-turned-off")
        address = preferences.address_for(self.channel)
        if address is None:
            return Refused("no-address")
        if self.channel == "sms" and preferences.quiet_hours is not None:
            quiet_until = preferences.quiet_hours.ends_after(now)
            if quiet_until is not None:
                return Deferred(quiet_until, "quiet-hours")
        if not self.breaker.allow():
            return Deferred(now + timedelta(seconds=self.breaker.retry_in()), f"{self.provider}-breaker-open")
        try:
            receipt = await self._send(delivery, address)
        except ProviderUnavailable as exc:
            self.breaker.failed()
            return Failed(exc.reason)
        except TemporaryFailure as exc:
            self.breaker.succeeded()
            return Failed(exc.reason)
        except PermanentFailure as exc:
            self.breaker.succeeded()
            return Refused(exc.reason)
        except asyncio.CancelledError:
            self.breaker.abandon()
            raise
        except Exception as exc:
            # An adapter bug must not stop the loop; the provider is treated as failing until it is fixed.
            log.exception("delivery_send_crashed", delivery=delivery.id, channel=self.channel)
            self.breaker.failed()
            return Failed(f"{self.provider}-{type(exc).__name__}")
        self.breaker.succeeded()
        return Accepted(receipt.reference, receipt.delivered)

    def status(self) -> ProviderStatus:
        return ProviderStatus(self.channel, self.provider, self.breaker.state, round(self.breaker.retry_in(), 3),
                              self.breaker.trips)


class Dispatcher:
    def __init__(self, deps: Deps, doorbell: Doorbell, email: EmailSender, sms: SmsSender,
                 breakers: Mapping[Channel, CircuitBreaker], settings: DispatchSettings) -> None:
        self._email, self._sms = email, sms

        async def send_email(delivery: Delivery, to: str) -> Receipt:
            return await email.send_email(OutgoingEmail(delivery.id, to, delivery.lang, delivery.subject or "",
                                                        delivery.body_text or "", delivery.body_html or ""))

        async def send_sms(delivery: Delivery, to: str) -> Receipt:
            return await sms.send_sms(OutgoingSms(delivery.id, to, delivery.lang, delivery.body_text or ""))

        self.loops = {
            "email": ChannelLoop("email", email.name, send_email, breakers["email"], deps, doorbell, settings),
            "sms": ChannelLoop("sms", sms.name, send_sms, breakers["sms"], deps, doorbell, settings),
        }

    def start(self) -> None:
        for loop in self.loops.values():
            loop.start()
        log.info("dispatcher_started", providers=[f"{c}:{loop.provider}" for c, loop in self.loops.items()])

    async def stop(self) -> None:
        await asyncio.gather(*(loop.stop() for loop in self.loops.values()))
        await self._email.close()
        await self._sms.close()

    def providers(self) -> list[ProviderStatus]:
        return [loop.status() for loop in self.loops.values()]
