"""The message both sides of the throughput bench carry: a ministry's status event, about 500 bytes."""

from datetime import UTC, datetime

from shared.bus import Envelope
from shared.contracts.ministries import RequestStatusUpdated
from shared.tracing import new_traceparent

NOTE = "Received at the service centre"


def status_envelope(code: str, tracking_number: str, status: str = "received") -> Envelope:
    event = RequestStatusUpdated(tracking_number=tracking_number, status=status, note=NOTE,
                                 occurred_at=datetime.now(UTC))
    return Envelope(type=RequestStatusUpdated.TYPE, source=f"/ministries/{code}", subject=tracking_number,
                    data=event.model_dump(mode="json"), traceparent=new_traceparent())


def sample_envelopes(count: int) -> list[Envelope]:
    return [status_envelope("bench", f"BENCH-2026-{i:06d}-7") for i in range(count)]
