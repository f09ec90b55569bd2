"""The local SMTP server of `make run`: every email the notifications service sends lands here, as one .eml
file per message in a directory, for a developer to open (any mail client or a text editor reads .eml).

    server = DevMailServer(run_dir / "mail", port=base_port + 25)
    server.start()                       # returns once it accepts connections
    env |= notifications_mail_env(server.port, sms_dir=run_dir / "sms")
    ...
    server.stop()

It accepts every recipient and keeps the message as it was received, so what is on disk is exactly what a
citizen's mail server would have been handed. Run it on its own with `python -m portal.dev_mail [DIR] [PORT]`.
"""

import asyncio
import itertools
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from aiosmtpd.controller import Controller

from shared.logging import configure_logging, get_logger

log = get_logger(__name__)
DEFAULT_PORT = 8025


class MailDrop:
    """An aiosmtpd handler that accepts every message and keeps it: on disk if given a directory, and
    counted either way."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self.received = 0
        self._numbers = itertools.count(1)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        number = next(self._numbers)
        if self.directory is not None:
            content: bytes = envelope.original_content or envelope.content
            path = self.directory / f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{number:06d}.eml"
            await asyncio.to_thread(path.write_bytes, content)
        self.received += 1
        return "250 Message accepted for delivery"


class DevMailServer:
    """aiosmtpd on host:port in its own thread; keeps messages in `directory` (None: only counts them)."""

    def __init__(self, directory: Path | None, host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> None:
        self.directory, self.host, self.port = directory, host, port
        self.handler = MailDrop(directory)
        self._controller: Controller | None = None

    def start(self) -> None:
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
        # A fixed server name: aiosmtpd would otherwise look this host's FQDN up on every connection.
        controller = Controller(self.handler, hostname=self.host, port=self.port, ready_timeout=10.0,
                                server_hostname="portal-dev-mail")
        controller.start()
        self._controller = controller
        log.info("dev_mail_listening", host=self.host, port=self.port, directory=str(self.directory or ""))

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def messages(self) -> list[Path]:
        """The .eml files received so far, oldest first."""
        return sorted(self.directory.glob("*.eml")) if self.directory is not None else []

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def notifications_mail_env(port: int, *, host: str = "127.0.0.1", sms_dir: Path | None = None) -> dict[str, str]:
    """What the notifications service needs to send its email here (and keep its SMS in `sms_dir`)."""
    env = {"NOTIFICATIONS_SMTP_HOST": host, "NOTIFICATIONS_SMTP_PORT": str(port),
           "NOTIFICATIONS_SMTP_STARTTLS": "false", "NOTIFICATIONS_SMTP_TLS": "false",
           "NOTIFICATIONS_SMS_PROVIDER": "sink"}
    if sms_dir is not None:
        env["NOTIFICATIONS_SMS_SINK_DIR"] = str(sms_dir)
    return env


def main(argv: list[str]) -> int:
    configure_logging("dev-mail")
    directory = Path(argv[0]) if argv else Path(".run") / "mail"
    port = int(argv[1]) if len(argv) > 1 else DEFAULT_PORT
    with DevMailServer(directory, port=port):
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            return 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
