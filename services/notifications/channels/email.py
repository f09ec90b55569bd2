"""Email over SMTP (aiosmtplib): a multipart/alternative message, plain text and HTML, in the citizen's
language, with Content-Language and a Message-ID made from the delivery id (so a relay or a mailbox can
recognise a resend after a crash as the same message)."""

import asyncio
import io
import socket
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.generator import BytesGenerator
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import Compat32
from email.utils import format_datetime, formataddr

import aiosmtplib

from services.notifications.channels import (
    DeliveryError,
    EmailSender,
    OutgoingEmail,
    PermanentFailure,
    ProviderUnavailable,
    Receipt,
    TemporaryFailure,
)
from services.notifications.domain import SENDER_NAME, in_lang

# A relay that says this is shutting down or overloaded: the provider, not the message.
SERVICE_NOT_AVAILABLE = 421


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    from_address: str
    # None: upgrade with STARTTLS if the server offers it; True: require it; False: never.
    starttls: bool | None = None
    # Implicit TLS from the first byte (port 465).
    tls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout_seconds: float = 10.0
    validate_certs: bool = True
    # The name we greet the relay with (EHLO); None: this host's FQDN, looked up once.
    helo_name: str | None = None


def build_message(email: OutgoingEmail, from_address: str, now: datetime | None = None) -> Message:
    # The compat32 classes, not EmailMessage: EmailMessage refolds every header when flattened, which took
    # ~10 ms per Arabic message, more than the SMTP session itself; these take ~1 ms for the same bytes.
    # A boundary of our own: "_" is not in base64's alphabet, so it cannot occur in the bodies, and the generator
    # need not search them for the random one it would pick (a new regular expression compiled per message).
    message = MIMEMultipart("alternative", boundary=f"=_{uuid.uuid4().hex}")
    message["From"] = formataddr((in_lang(SENDER_NAME, email.lang), from_address))
    message["To"] = email.to
    message["Subject"] = Header(email.subject, "utf-8").encode()
    message["Date"] = format_datetime(now or datetime.now(UTC))
    message["Message-ID"] = f"<{email.delivery_id}@{from_address.rpartition('@')[2]}>"
    message["Content-Language"] = email.lang
    # RFC 3834: an automatic message; out-of-office replies should not answer it.
    message["Auto-Submitted"] = "auto-generated"
    for subtype, body in (("plain", email.text), ("html", email.html)):
        part = MIMEText(body, subtype, "utf-8")
        part["Content-Language"] = email.lang
        message.attach(part)
    return message


class _Written(Compat32):
    """compat32 (what aiosmtplib writes a Message with), but a header that is already one short ASCII line is
    written as it is rather than refolded: the standard library rebuilds a Header object for each of a message's
    17 headers, which was two thirds of writing it; the bytes are the same."""

    def fold_binary(self, name: str, value: str) -> bytes:
        if (isinstance(value, str) and value.isascii() and "\n" not in value and "\r" not in value
                and len(name) + 2 + len(value) <= (self.max_line_length or 78)):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


_WRITTEN = _Written()


def message_bytes(message: Message) -> bytes:
    """The message as aiosmtplib's send_message would write it (compat32), for SMTP's DATA. Always 7-bit: the
    bodies are base64 and the headers RFC 2047-encoded (build_message), so no BODY=8BITMIME is needed."""
    with io.BytesIO() as written:
        BytesGenerator(written, policy=_WRITTEN).flatten(message)
        return written.getvalue()


def _by_code(code: int, where: str) -> TemporaryFailure | PermanentFailure:
    reason = f"smtp-{code}"
    if code == SERVICE_NOT_AVAILABLE:
        return ProviderUnavailable(reason)
    if 500 <= code < 600:
        return PermanentFailure(f"{reason}-{where}")
    return TemporaryFailure(f"{reason}-{where}")


@dataclass(frozen=True)
class _Envelope:
    sender: str
    recipient: str = field(repr=False)
    data: bytes = field(repr=False)
    message_id: str


class SmtpEmailSender(EmailSender):
    """SMTP sessions kept open and reused, one message at a time each: connecting, greeting (and TLS and login)
    cost more than sending a message, for us and for the relay. A session is put back only after a message
    went through; any error closes it. A refused recipient or message (5xx) is permanent; 4xx is temporary; a
    relay that cannot be reached, times out, refuses us (auth, sender) or says 421 is unavailable."""

    name = "smtp"
    # Relays close sessions that sit idle (RFC 5321 lets them after 5 minutes): older ones are not reused.
    IDLE_SECONDS = 30.0

    def __init__(self, settings: SmtpSettings) -> None:
        if settings.tls and settings.starttls:
            raise ValueError("choose implicit TLS or STARTTLS, not both")
        self._settings = settings
        self._helo_name = settings.helo_name
        self._idle: list[tuple[aiosmtplib.SMTP, float]] = []

    async def _helo(self) -> str:
        # aiosmtplib would look the FQDN up for every session; it does not change while we run.
        if self._helo_name is None:
            self._helo_name = await asyncio.to_thread(socket.getfqdn)
        return self._helo_name

    async def _connect(self) -> aiosmtplib.SMTP:
        s = self._settings
        client = aiosmtplib.SMTP(hostname=s.host, port=s.port, username=s.username, password=s.password,
                                 use_tls=s.tls, start_tls=s.starttls, timeout=s.timeout_seconds,
                                 validate_certs=s.validate_certs, local_hostname=await self._helo())
        await client.connect()
        return client

    def _reusable(self) -> aiosmtplib.SMTP | None:
        now = time.monotonic()
        while self._idle:
            client, since = self._idle.pop()
            if client.is_connected and now - since < self.IDLE_SECONDS:
                return client
            client.close()
        return None

    async def send_email(self, email: OutgoingEmail) -> Receipt:
        message = build_message(email, self._settings.from_address)
        # The envelope is the sender and the one recipient we know, not parsed back out of the headers.
        outgoing = _Envelope(self._settings.from_address, email.to, message_bytes(message),
                             str(message["Message-ID"]))
        client = self._reusable()
        if client is not None:
            receipt = await self._send_on(client, outgoing, reused=True)
            if receipt is not None:
                return receipt
        try:
            client = await self._connect()
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise _delivery_error(exc) from None
        receipt = await self._send_on(client, outgoing, reused=False)
        assert receipt is not None
        return receipt

    async def _send_on(self, client: aiosmtplib.SMTP, outgoing: "_Envelope", *, reused: bool) -> Receipt | None:
        """The receipt, or None when a reused session turned out closed before the relay took the message."""
        try:
            # An address beyond ASCII needs SMTPUTF8 (aiosmtplib refuses it if the relay does not offer it).
            utf8 = not (outgoing.sender + outgoing.recipient).isascii()
            await client.sendmail(outgoing.sender, [outgoing.recipient], outgoing.data,
                                  mail_options=["SMTPUTF8"] if utf8 else [])
        except (aiosmtplib.SMTPException, OSError) as exc:
            client.close()
            if reused and isinstance(exc, (aiosmtplib.SMTPServerDisconnected, ConnectionResetError,
                                           BrokenPipeError)):
                return None
            raise _delivery_error(exc) from None
        except BaseException:
            client.close()
            raise
        self._idle.append((client, time.monotonic()))
        return Receipt(reference=outgoing.message_id)

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for client, _ in idle:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                client.close()


def _delivery_error(exc: Exception) -> DeliveryError:
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [refused.code for refused in exc.recipients]
        return _by_code(max(codes) if codes else 550, "recipient")
    if isinstance(exc, aiosmtplib.SMTPDataError):
        return _by_code(exc.code, "data")
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return ProviderUnavailable("smtp-auth-refused")
    if isinstance(exc, aiosmtplib.SMTPSenderRefused):
        return ProviderUnavailable(f"smtp-{exc.code}-sender")
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        # Refused at connect, HELO or another step that is not about this message: the relay's problem.
        return (TemporaryFailure if 400 <= exc.code < 500 and exc.code != SERVICE_NOT_AVAILABLE
                else ProviderUnavailable)(f"smtp-{exc.code}")
    if isinstance(exc, aiosmtplib.SMTPTimeoutError):
        return ProviderUnavailable("smtp-timeout")
    return ProviderUnavailable(_connection_reason(exc))


def _connection_reason(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError) or isinstance(exc.__cause__, ConnectionRefusedError):
        return "connection-refused"
    if isinstance(exc, aiosmtplib.SMTPServerDisconnected):
        return "smtp-disconnected"
    if isinstance(exc, aiosmtplib.SMTPConnectError):
        return "smtp-connect-failed"
    return f"smtp-{type(exc).__name__}"
