"""Server spans for the requests whose trace is sampled; the others carry their trace on at almost no cost.

OpenTelemetry's ASGI middleware names a span (matching the path against every route), collects a dozen request
attributes (each header lookup decoding every header) and only then asks the sampler, for every request, though the
sampler keeps about 1 % of traces (shared/tracing.py). Here the sampler is asked first: a request whose trace is not
sampled (its traceparent says so, or the sampler drops the trace it starts) is served in the context OpenTelemetry
would have given it, a span that records nothing with an id of its own, so that the response, the logs and the outbox
rows carry the trace on exactly as before. Sampled requests go through OpenTelemetry's middleware unchanged.
"""

from fastapi import FastAPI
from opentelemetry import context, trace
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware, get_host_port_url_tuple
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import Decision
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags
from opentelemetry.util.http import ExcludeList
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.tracing import TRACEPARENT, TRACESTATE, DecidedTraceIds, extracted, trace_id_decided

BAGGAGE = "baggage"
# What the default propagators (W3C trace context and baggage) read of a request.
_PROPAGATED = {name.encode(): name for name in (TRACEPARENT, TRACESTATE, BAGGAGE)}


def _propagated(scope: Scope) -> tuple[bytes | None, dict[str, str] | None]:
    """In one pass over the headers: the first Host header, for the URL the exclusions are matched against, and the
    request's trace context headers; None for these when they are left to the propagators' own reading (a header
    given twice, which they join or pick from, or one that is not UTF-8)."""
    host: bytes | None = None
    carrier: dict[str, str] | None = {}
    for name, value in scope["headers"]:
        name = name.lower()
        if name == b"host":
            if host is None:
                host = value
            continue
        key = _PROPAGATED.get(name)
        if key is not None and carrier is not None:
            if key in carrier:
                carrier = None
                continue
            try:
                carrier[key] = value.decode()
            except UnicodeDecodeError:
                carrier = None
    return host, carrier


def _url(scope: Scope, host: bytes | None) -> str:
    """The URL OpenTelemetry's middleware matches its exclusions against (get_host_port_url_tuple's), from the Host
    header already found rather than by decoding every header again; a request without one, or with one that is not
    UTF-8, is left to that function."""
    if host is not None:
        try:
            return f"{scope.get('scheme', 'http')}://{host.decode()}{scope.get('path', '')}"
        except UnicodeDecodeError:
            pass
    return str(get_host_port_url_tuple(scope)[2])  # type: ignore[no-untyped-call]


def sampling(scope: Scope) -> context.Context | int | None:
    """Whether OpenTelemetry would record this request's span, asked as its SDK asks: a Context to serve an
    unsampled request in (what that middleware would have made current); a sampled new trace's id; None when the
    request is sampled under its caller's trace, or this process's tracing is not the one configure_tracing set up."""
    return _sampling(_propagated(scope)[1])


def _sampling(carrier: dict[str, str] | None) -> context.Context | int | None:
    """sampling, from the request's trace context headers as _propagated read them."""
    provider = trace.get_tracer_provider()
    if carrier is None or not isinstance(provider, TracerProvider) or \
            not isinstance(provider.id_generator, DecidedTraceIds):
        return None
    parent = extracted(carrier)
    remote = trace.get_current_span(parent).get_span_context()
    if remote.is_valid:
        trace_id, random_trace_id = remote.trace_id, remote.trace_flags.random_trace_id
    else:
        trace_id, random_trace_id = provider.id_generator.generate_trace_id(), True
    # No span name or attributes: the sampler configure_tracing sets reads neither.
    decision = provider.sampler.should_sample(parent, trace_id, "", SpanKind.SERVER)
    if decision.decision is not Decision.DROP:
        return None if remote.is_valid else trace_id
    # The SDK's span for a trace it drops: not sampled, the trace id's randomness as its caller (or generator) said.
    flags = TraceFlags(TraceFlags.RANDOM_TRACE_ID if random_trace_id else TraceFlags.DEFAULT)
    own = SpanContext(trace_id, provider.id_generator.generate_span_id(), is_remote=False, trace_flags=flags,
                      trace_state=decision.trace_state)
    return trace.set_span_in_context(NonRecordingSpan(own), parent)


class SampledFirst:
    """Outermost layer: asks the sampler about a request before OpenTelemetry's middleware (`app`, the stack this
    layer tops) would; an unsampled request, and one whose URL that middleware excludes, skip it for the app it
    wraps (`untraced`)."""

    def __init__(self, traced: ASGIApp, untraced: ASGIApp, excluded: ExcludeList | None) -> None:
        # `app`: FastAPI's own telemetry stands aside when it finds OpenTelemetry's middleware down the chain of
        # `app`s; otherwise it would trace every request a second time.
        self.app = traced
        self.untraced = untraced
        self.excluded = excluded

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host, carrier = _propagated(scope)
        if self.excluded and self.excluded.url_disabled(_url(scope, host)):
            # What OpenTelemetry's middleware does with these: pass them on untouched.
            await self.untraced(scope, receive, send)
            return
        decided = _sampling(carrier)
        if decided is None:
            await self.app(scope, receive, send)
        elif isinstance(decided, int):
            with trace_id_decided(decided):
                await self.app(scope, receive, send)
        else:
            token = context.attach(decided)
            try:
                await self.untraced(scope, receive, send)
            finally:
                context.detach(token)


def instrument(app: FastAPI, excluded_urls: str) -> None:
    """OpenTelemetry's FastAPI instrumentation, which unsampled requests skip. No spans for each ASGI receive and
    send message: three per request, and they tell nothing the request's own span does not."""
    FastAPIInstrumentor.instrument_app(app, excluded_urls=excluded_urls, exclude_spans=["receive", "send"])
    instrumented = app.build_middleware_stack

    def build_middleware_stack() -> ASGIApp:
        # OpenTelemetry's stack: an error middleware around its own, around the app's error middleware and the rest.
        stack = instrumented()
        middleware = getattr(stack, "app", None)
        if not isinstance(middleware, OpenTelemetryMiddleware):
            raise RuntimeError("OpenTelemetry's FastAPI middleware stack is not the one this layer wraps")
        return SampledFirst(stack, middleware.app, middleware.excluded_urls)

    app.build_middleware_stack = build_middleware_stack  # type: ignore[method-assign]
