"""Tracing with OpenTelemetry: W3C trace context (traceparent and tracestate) over HTTP and the bus.

Each process sets up one tracer provider (`configure_tracing`), sampling a share of new traces
(PORTAL_TRACE_SAMPLE_RATIO, 1 % unless set, parent-based: a sampled caller's trace is always followed). Spans go
nowhere unless asked: OTLP over HTTP to PORTAL_OTLP_ENDPOINT, or one JSON line per span to PORTAL_TRACE_FILE (`-`
for the console, a directory for a file per process). FastAPI, httpx and SQLAlchemy are instrumented, the gateway's
own client to the services behind it calls `calling`; the bus records
a producer span per publish and a consumer span per message, carried in the message headers and the
CloudEvent's distributed-tracing attributes.
"""

import contextlib
import os
import re
import secrets
import sys
from collections.abc import Iterator, Mapping, MutableMapping
from contextvars import ContextVar
from pathlib import Path
from typing import IO, Any

from opentelemetry import context, propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import (
    NonRecordingSpan,
    Span,
    SpanContext,
    SpanKind,
    TraceFlags,
    format_span_id,
    format_trace_id,
)

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
_PATTERN = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_tracer = trace.get_tracer("portal")
# 1 % of new traces: what keeps tracing's cost on the submission path under 10 % (bench/tracing.py measures it).
DEFAULT_SAMPLE_RATIO = "0.01"
_configured: list[str] = []


class ChildSpansOnly(trace.TracerProvider):
    """For instrumentation that fires on every low-level call (each SQL statement, each pool checkout): a span
    only inside a sampled trace. In an unsampled trace, or outside any (the outbox relay's polls), it costs one
    check instead of a span, a sampling decision and two random ids, and it never starts a trace of its own."""

    def __init__(self, provider: trace.TracerProvider) -> None:
        self._provider = provider

    def get_tracer(self, *args: Any, **kwargs: Any) -> trace.Tracer:
        return _ChildSpansTracer(self._provider.get_tracer(*args, **kwargs))


class _ChildSpansTracer(trace.Tracer):
    def __init__(self, tracer: trace.Tracer) -> None:
        self._tracer = tracer

    def start_span(self, name: str, context: context.Context | None = None, *args: Any, **kwargs: Any) -> Span:
        parent = trace.get_current_span(context)
        # A span that does not record is a no-op to end or annotate: the caller may have the parent itself.
        return self._tracer.start_span(name, context, *args, **kwargs) if parent.is_recording() else parent

    @contextlib.contextmanager
    def start_as_current_span(self, name: str, context: context.Context | None = None,  # type: ignore[override]
                              *args: Any, **kwargs: Any) -> Iterator[Span]:
        parent = trace.get_current_span(context)
        if not parent.is_recording():
            yield parent
            return
        with self._tracer.start_as_current_span(name, context, *args, **kwargs) as span:
            yield span


# The trace id the next trace started in this context takes (DecidedTraceIds).
_decided_trace_id: ContextVar[int] = ContextVar("decided_trace_id", default=0)


class DecidedTraceIds(RandomIdGenerator):
    """The SDK's random ids, except for a trace whose sampling was decided before its first span started (a request
    the web layer sampled before OpenTelemetry's middleware, shared/web/tracing.py): that span takes the trace id the
    sampler was asked about, so the sampler's answer, and the share of traces kept, stay its own."""

    def generate_trace_id(self) -> int:
        decided = _decided_trace_id.get()
        if not decided:
            return super().generate_trace_id()
        _decided_trace_id.set(0)
        return decided


@contextlib.contextmanager
def trace_id_decided(trace_id: int) -> Iterator[None]:
    """The next trace started in this context gets `trace_id` (from a tracer provider configure_tracing set up)."""
    token = _decided_trace_id.set(trace_id)
    try:
        yield
    finally:
        _decided_trace_id.reset(token)


def _span_line(span: ReadableSpan) -> str:
    return str(span.to_json(indent=None)) + os.linesep


def _open(trace_file: str, service: str) -> IO[str]:
    """`-` is the console; a directory gets a file per process (processes never interleave their lines)."""
    if trace_file == "-":
        return sys.stdout
    path = Path(trace_file)
    if trace_file.endswith(os.sep) or path.is_dir():
        path.mkdir(parents=True, exist_ok=True)
        path = path / f"{service}-{os.getpid()}.jsonl"
    return path.open("a", encoding="utf-8")


def _exporters(service: str, otlp_endpoint: str | None, trace_file: str | None) -> list[SpanExporter]:
    exporters: list[SpanExporter] = []
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporters.append(OTLPSpanExporter(endpoint=otlp_endpoint))
    if trace_file:
        exporters.append(ConsoleSpanExporter(out=_open(trace_file, service), formatter=_span_line))
    return exporters


def tracing_enabled() -> bool:
    """PORTAL_TRACING=off leaves OpenTelemetry's no-op API in place: no spans, no instrumentation."""
    return os.environ.get("PORTAL_TRACING", "on").lower() != "off"


def configure_tracing(service: str, *, sample_ratio: float | None = None, otlp_endpoint: str | None = None,
                      trace_file: str | None = None) -> None:
    """The process's tracer provider, once (several services in one process share it)."""
    if _configured or not tracing_enabled():
        return
    _configured.append(service)
    ratio = sample_ratio if sample_ratio is not None else float(os.environ.get("PORTAL_TRACE_SAMPLE_RATIO",
                                                                               DEFAULT_SAMPLE_RATIO))
    # The web layer asks this sampler about a request before naming its span (shared/web/tracing.py): it must not
    # read span names or attributes, which a trace id ratio and the parent's flag do not.
    provider = TracerProvider(resource=Resource.create({"service.name": service}),
                              sampler=ParentBased(TraceIdRatioBased(ratio)), id_generator=DecidedTraceIds())
    for exporter in _exporters(service, otlp_endpoint or os.environ.get("PORTAL_OTLP_ENDPOINT"),
                               trace_file or os.environ.get("PORTAL_TRACE_FILE")):
        provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=500))
    trace.set_tracer_provider(provider)
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    # A client span only inside a sampled trace: an unsampled one still passes its trace on (the caller's context is
    # injected), without a span, its ids and its context switches on every call (a tenth of the gateway's CPU).
    HTTPXClientInstrumentor().instrument(tracer_provider=ChildSpansOnly(provider))


def flush_traces() -> None:
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.force_flush()


def new_traceparent(trace_id: str | None = None) -> str:
    return f"00-{trace_id or secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


def parse_trace_id(traceparent: str | None) -> str | None:
    match = _PATTERN.match(traceparent or "")
    return match.group(1) if match else None


def current_trace_id() -> str | None:
    span_context = trace.get_current_span().get_span_context()
    return format_trace_id(span_context.trace_id) if span_context.is_valid else None


def current_traceparent() -> str | None:
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return None
    return f"00-{format_trace_id(span_context.trace_id)}-{format_span_id(span_context.span_id)}-" \
           f"{int(span_context.trace_flags):02x}"


def outgoing_headers() -> dict[str, str]:
    """The current trace context as W3C headers (traceparent, and tracestate when there is one)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return {k: v for k, v in carrier.items() if k in (TRACEPARENT, TRACESTATE)}


def outgoing_traceparent() -> str | None:
    return outgoing_headers().get(TRACEPARENT)


def _unrecorded(traceparent: str | None) -> bool:
    """A valid trace context whose trace is not sampled: a span in it would record nothing."""
    match = _PATTERN.match(traceparent or "")
    return match is not None and not int(match.group(3), 16) & 1


def publishing(destination: str, headers: MutableMapping[str, Any], parent: Mapping[str, str] | None = None
               ) -> contextlib.AbstractContextManager[None]:
    """A producer span for one message, under `parent` (the context recorded with an outbox row) or the current
    one; its context goes into `headers`."""
    given = parent.get(TRACEPARENT) if parent else None
    if not _configured or _unrecorded(given) or (given is None and _unrecorded(current_traceparent())):
        # No tracer provider in this process, or a trace that is not sampled: no span would be recorded, so
        # only the context is passed on, as the API would (its spans cost ~40-50 µs a message, a quarter of
        # what the bus added to aio-pika). An empty context (no span, no baggage) has nothing to pass on, and
        # the propagators and a generator's context manager were 4 of the 5.5 µs this took a message.
        if parent and _PATTERN.match(given or ""):
            headers.update({k: v for k, v in parent.items() if k in (TRACEPARENT, TRACESTATE) and v})
        elif context.get_current():
            propagate.inject(headers)
        return contextlib.nullcontext()
    return _producer_span(destination, headers, parent)


@contextlib.contextmanager
def _producer_span(destination: str, headers: MutableMapping[str, Any], parent: Mapping[str, str] | None
                   ) -> Iterator[None]:
    start = propagate.extract(parent) if parent and parent.get(TRACEPARENT) else context.get_current()
    with _tracer.start_as_current_span(f"{destination} publish", context=start, kind=SpanKind.PRODUCER,
                                       attributes={"messaging.system": "rabbitmq",
                                                   "messaging.destination.name": destination}):
        propagate.inject(headers)
        yield


def calling(method: str, url: str, headers: MutableMapping[str, str]) -> contextlib.AbstractContextManager[Span | None]:
    """A client span for one HTTP call, only inside a sampled trace (as ChildSpansOnly gives httpx's); the span's
    context, or in an unsampled trace the current one, goes into `headers`."""
    if not _configured or not trace.get_current_span().is_recording():
        if context.get_current():
            propagate.inject(headers)
        return contextlib.nullcontext()
    return _client_span(method, url, headers)


@contextlib.contextmanager
def _client_span(method: str, url: str, headers: MutableMapping[str, str]) -> Iterator[Span]:
    with _tracer.start_as_current_span(method, kind=SpanKind.CLIENT,
                                       attributes={"http.request.method": method, "url.full": url}) as span:
        propagate.inject(headers)
        yield span


def extracted(carrier: Mapping[str, str]) -> context.Context:
    """What propagate.extract makes of a message's trace context. A lone W3C traceparent (what the bus carries)
    is read here, at a third of the propagators' cost: the composite's baggage pass finds nothing in it, and
    this was a tenth of what the bus added to aio-pika per message consumed. Anything else goes to them."""
    match = _PATTERN.match(carrier.get(TRACEPARENT, ""))
    if match is None or len(carrier) > 1:
        return propagate.extract(carrier)
    trace_id, span_id = int(match.group(1), 16), int(match.group(2), 16)
    if not trace_id or not span_id:
        return propagate.extract(carrier)
    remote = SpanContext(trace_id, span_id, is_remote=True, trace_flags=TraceFlags(int(match.group(3), 16)))
    return trace.set_span_in_context(NonRecordingSpan(remote))


@contextlib.contextmanager
def consuming(queue: str, headers: Mapping[str, Any]) -> Iterator[None]:
    """A consumer span for one message, the child of its producer's span."""
    carrier = {k: str(v) for k, v in headers.items() if k in (TRACEPARENT, TRACESTATE) and v}
    if not _configured or _unrecorded(carrier.get(TRACEPARENT)):
        # No tracer provider or an unsampled trace: only the producer's context, for what this message leads to
        # (the outbox rows).
        token = context.attach(extracted(carrier)) if carrier else None
        try:
            yield
        finally:
            if token is not None:
                context.detach(token)
        return
    with _tracer.start_as_current_span(f"{queue} process", context=extracted(carrier),
                                       kind=SpanKind.CONSUMER,
                                       attributes={"messaging.system": "rabbitmq",
                                                   "messaging.destination.name": queue}):
        yield
