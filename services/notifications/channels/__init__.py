"""The ports a channel provider plugs into, and what a provider may answer.

Email goes out over SMTP (channels/email.py), SMS through a provider's HTTP API or, in development, a sink
(channels/sms.py). Each provider sits behind its own circuit breaker (shared/breaker.py). Fakes in tests
subclass these ports.
"""

import abc
from dataclasses import dataclass, field

from services.notifications.domain import Lang


@dataclass(frozen=True)
class OutgoingEmail:
    delivery_id: str
    to: str = field(repr=False)
    lang: Lang
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class OutgoingSms:
    delivery_id: str
    to: str = field(repr=False)
    lang: Lang
    text: str


@dataclass(frozen=True)
class Receipt:
    """The provider took the message; `delivered` when it also says it reached the citizen."""

    reference: str | None = None
    delivered: bool = False


class DeliveryError(Exception):
    """`reason` is short and free of personal data (smtp-550, http-503, connection-refused): it is stored
    and published."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PermanentFailure(DeliveryError):
    """This message will never be accepted on this channel (the address or number is refused)."""


class TemporaryFailure(DeliveryError):
    """The provider answered, but not now (greylisting, a full mailbox): try again later."""


class ProviderUnavailable(TemporaryFailure):
    """The provider did not answer or is failing for everyone: try again later, and count it against its
    circuit breaker."""


class EmailSender(abc.ABC):
    name: str = "email"

    @abc.abstractmethod
    async def send_email(self, email: OutgoingEmail) -> Receipt:
        """Hand the message to the provider; raise a DeliveryError subclass if it does not take it."""

    async def close(self) -> None:
        return None


class SmsSender(abc.ABC):
    name: str = "sms"

    @abc.abstractmethod
    async def send_sms(self, sms: OutgoingSms) -> Receipt:
        """Hand the message to the provider; raise a DeliveryError subclass if it does not take it."""

    async def close(self) -> None:
        return None


__all__ = ["DeliveryError", "EmailSender", "OutgoingEmail", "OutgoingSms", "PermanentFailure", "ProviderUnavailable",
           "Receipt", "SmsSender", "TemporaryFailure"]
