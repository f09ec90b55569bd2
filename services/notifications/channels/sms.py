"""SMS: a provider's HTTP API in production, a sink that keeps messages in development.

The HTTP adapter speaks a generic JSON API; a provider with another shape gets its own adapter behind the
same port. The request it sends:

    POST {NOTIFICATIONS_SMS_API_URL}
    Authorization: Bearer {NOTIFICATIONS_SMS_API_TOKEN}
    Idempotency-Key: {delivery id}
    Content-Type: application/json

    {"to": "+968XXXXXXXX", "from": "{NOTIFICATIONS_SMS_SENDER}", "text": "...", "language": "ar" | "en",
     "reference": "{delivery id}"}

and what it understands back: 2xx with {"id": "...", "status": "accepted" | "queued" | "sent" | "delivered"}
("delivered" marks the delivery delivered, anything else sent); 400, 404, 410 and 422 refuse this number or
message for good; 401 and 403 (our credentials), 408, 429 and 5xx, timeouts and connection errors make the
provider unavailable for now (its breaker counts them).
"""

import asyncio
import json
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from services.notifications.channels import (
    OutgoingSms,
    PermanentFailure,
    ProviderUnavailable,
    Receipt,
    SmsSender,
)
from shared.logging import get_logger

log = get_logger(__name__)
REFUSED_FOR_GOOD = frozenset({400, 404, 410, 422})


def mask_phone(number: str) -> str:
    """+968•••••567: enough for a developer to tell messages apart, not enough to call anyone."""
    return f"{number[:4]}{'•' * max(len(number) - 7, 0)}{number[-3:]}" if len(number) > 7 else "•" * len(number)


class HttpSmsSender(SmsSender):
    name = "sms-http"

    def __init__(self, client: httpx.AsyncClient, url: str, token: str, sender: str) -> None:
        self._client, self._url, self._token, self._sender = client, url, token, sender

    async def send_sms(self, sms: OutgoingSms) -> Receipt:
        payload = {"to": sms.to, "from": self._sender, "text": sms.text, "language": sms.lang,
                   "reference": sms.delivery_id}
        headers = {"Authorization": f"Bearer {self._token}", "Idempotency-Key": sms.delivery_id}
        try:
            response = await self._client.post(self._url, json=payload, headers=headers)
        except httpx.TimeoutException:
            raise ProviderUnavailable("sms-timeout") from None
        except httpx.TransportError as exc:
            reason = "connection-refused" if isinstance(exc, httpx.ConnectError) else "sms-transport-error"
            raise ProviderUnavailable(reason) from None
        status = response.status_code
        if 200 <= status < 300:
            try:
                body = response.json()
            except ValueError:
                body = {}
            body = body if isinstance(body, dict) else {}
            reference = body.get("id")
            return Receipt(reference=str(reference)[:200] if reference is not None else None,
                           delivered=body.get("status") == "delivered")
        if status in REFUSED_FOR_GOOD:
            raise PermanentFailure(f"http-{status}")
        raise ProviderUnavailable(f"http-{status}")

    async def close(self) -> None:
        await self._client.aclose()


@dataclass(frozen=True)
class SunkSms:
    delivery_id: str
    to_masked: str
    lang: str
    text: str
    at: datetime


class SmsSink(SmsSender):
    """Development: keeps each message (the last `keep` in memory, and one JSON file each in `directory` if
    given) instead of sending it, and reports it delivered. The number is kept masked, and never logged."""

    name = "sms-sink"

    def __init__(self, directory: Path | None = None, keep: int = 1000) -> None:
        self.directory = directory
        self.messages: deque[SunkSms] = deque(maxlen=keep)

    async def send_sms(self, sms: OutgoingSms) -> Receipt:
        sunk = SunkSms(sms.delivery_id, mask_phone(sms.to), sms.lang, sms.text, datetime.now(UTC))
        self.messages.append(sunk)
        if self.directory is not None:
            await asyncio.to_thread(self._write, sunk)
        log.info("sms_sunk", delivery=sms.delivery_id, chars=len(sms.text))
        return Receipt(reference=f"sink-{sms.delivery_id}", delivered=True)

    def _write(self, sunk: SunkSms) -> None:
        assert self.directory is not None
        self.directory.mkdir(parents=True, exist_ok=True)
        record = {"delivery_id": sunk.delivery_id, "to": sunk.to_masked, "lang": sunk.lang, "text": sunk.text,
                  "at": sunk.at.isoformat()}
        path = self.directory / f"{sunk.at:%Y%m%dT%H%M%S%f}-{sunk.delivery_id}.json"
        path.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
