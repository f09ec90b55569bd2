import importlib
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

import fastapi.applications
import httpx
import pytest
from fastapi import FastAPI, Response
from opentelemetry import baggage, propagate, trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import REGISTRY

from services.gateway.config import Settings as GatewaySettings
from shared.tracing import configure_tracing, current_traceparent, trace_id_decided
from shared.web import Readiness, install_plumbing
from shared.web.tracing import sampling

CALLER_SPAN = "f" * 16
UNSAMPLED = f"00-{'e' * 32}-{CALLER_SPAN}-00"
SAMPLED = f"00-{'c' * 32}-{CALLER_SPAN}-01"
_exported = InMemorySpanExporter()
# The process's one tracer provider, once it exports to _exported.
_exporting: list[TracerProvider] = []
# Trace ids a 1 % trace id ratio sampler keeps and drops: it reads their lower 64 bits.
KEPT, DROPPED = 1, (1 << 128) - 1


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    configure_tracing("test")
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    if provider not in _exporting:
        provider.add_span_processor(SimpleSpanProcessor(_exported))
        _exporting.append(provider)
    _exported.clear()
    yield _exported
    _exported.clear()


def portal_app(service: str) -> FastAPI:
    app = FastAPI()
    install_plumbing(app, service, Readiness())

    @app.get("/items/{item}")
    async def item(item: str) -> dict[str, Any]:
        return {"traceparent": current_traceparent(), "recording": trace.get_current_span().is_recording(),
                "baggage": baggage.get_baggage("citizen.channel")}

    return app


async def get(app: FastAPI, path: str, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://portal") as client:
        return await client.get(path, headers=headers)


def served(service: str, route: str, status: str) -> float:
    return REGISTRY.get_sample_value("portal_http_requests_total", {"service": service, "method": "GET",
                                                                    "route": route, "status": status}) or 0.0


def server_spans(exported: InMemorySpanExporter) -> list[ReadableSpan]:
    return [s for s in exported.get_finished_spans() if s.kind == trace.SpanKind.SERVER]


async def test_an_unsampled_request_is_served_in_its_callers_trace_unrecorded_and_still_counted(
        spans: InMemorySpanExporter) -> None:
    before = served("unsampled", "/items/{item}", "200")

    response = await get(portal_app("unsampled"), "/items/7", {"traceparent": UNSAMPLED,
                                                               "baggage": "citizen.channel=app"})

    body = response.json()
    _, trace_id, span_id, flags = body["traceparent"].split("-")
    assert (trace_id, flags) == ("e" * 32, "00") and span_id != CALLER_SPAN
    assert response.headers["traceparent"] == body["traceparent"]
    assert not body["recording"] and body["baggage"] == "app"
    assert spans.get_finished_spans() == ()
    assert served("unsampled", "/items/{item}", "200") == before + 1


class CountedHeaders(list[tuple[bytes, bytes]]):
    passes = 0

    def __iter__(self) -> Iterator[tuple[bytes, bytes]]:
        self.passes += 1
        return super().__iter__()


@pytest.mark.parametrize("traceparent", [UNSAMPLED, None])
async def test_tracing_an_unsampled_request_reads_its_headers_twice_not_seven_times(
        spans: InMemorySpanExporter, traceparent: str | None) -> None:
    """OpenTelemetry's middleware read every header for each of seven or eight lookups (and matched the path against
    every route) to name a span that would record nothing; now the URL exclusion and the trace context read them in
    one pass, beside the route's own reading."""
    app = portal_app("headers")
    headers = CountedHeaders([(b"host", b"portal"), (b"user-agent", b"test"), (b"accept", b"*/*")])
    if traceparent:
        headers.append((b"traceparent", traceparent.encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": "/items/7", "raw_path": b"/items/7", "query_string": b"", "root_path": "", "headers": headers,
             "client": ("127.0.0.1", 5000), "server": ("portal", 80)}
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    with trace_id_decided(DROPPED):
        await app(scope, receive, send)

    assert sent[0]["status"] == 200 and spans.get_finished_spans() == ()
    assert headers.passes <= 2


async def test_a_sampled_request_is_traced_under_its_route_in_its_callers_trace(spans: InMemorySpanExporter) -> None:
    response = await get(portal_app("sampled"), "/items/7", {"traceparent": SAMPLED})

    [span] = server_spans(spans)
    assert span.name == "GET /items/{item}" and span.attributes is not None
    assert span.attributes["http.route"] == "/items/{item}"
    assert span.context is not None and span.parent is not None
    assert (span.context.trace_id, span.parent.span_id) == (int("c" * 32, 16), int(CALLER_SPAN, 16))
    assert response.json()["recording"]
    assert response.headers["traceparent"] == f"00-{'c' * 32}-{span.context.span_id:016x}-01"


async def test_health_checks_are_never_traced(spans: InMemorySpanExporter) -> None:
    response = await get(portal_app("health"), "/healthz", {"traceparent": SAMPLED})

    assert response.status_code == 200 and "traceparent" not in response.headers
    assert spans.get_finished_spans() == ()


def scope_with(headers: dict[str, str]) -> dict[str, Any]:
    return {"type": "http", "headers": [(k.encode(), v.encode()) for k, v in headers.items()]}


async def test_a_new_trace_the_sampler_keeps_is_traced_under_the_trace_id_it_was_kept_for(
        spans: InMemorySpanExporter) -> None:
    with trace_id_decided(KEPT):
        response = await get(portal_app("kept"), "/items/7", {})

    [span] = server_spans(spans)
    assert span.context is not None and span.parent is None and span.name == "GET /items/{item}"
    assert response.headers["traceparent"] == f"00-{KEPT:032x}-{span.context.span_id:016x}-03"


async def test_a_new_trace_the_sampler_drops_is_carried_on_unrecorded(spans: InMemorySpanExporter) -> None:
    with trace_id_decided(DROPPED):
        response = await get(portal_app("dropped"), "/items/7", {})

    assert response.headers["traceparent"].startswith(f"00-{DROPPED:032x}-")
    assert response.headers["traceparent"].endswith("-02") and not response.json()["recording"]
    assert spans.get_finished_spans() == ()


@pytest.mark.parametrize("headers", [{"traceparent": UNSAMPLED}, {"traceparent": UNSAMPLED, "tracestate": "portal=1"},
                                     {"traceparent": UNSAMPLED.replace("-00", "-02")},
                                     {"traceparent": UNSAMPLED, "baggage": "citizen.channel=app"}])
def test_an_unsampled_request_s_context_is_the_one_opentelemetry_gives_it_but_for_its_own_span_id(
        spans: InMemorySpanExporter, headers: dict[str, str]) -> None:
    ours = sampling(scope_with(headers))
    parent = propagate.extract(headers)
    theirs = trace.get_tracer_provider().get_tracer("test").start_span("GET", parent, kind=trace.SpanKind.SERVER)

    assert ours is not None and not isinstance(ours, int)
    mine, expected = trace.get_current_span(ours).get_span_context(), theirs.get_span_context()
    assert (mine.trace_id, mine.trace_flags, mine.trace_state, mine.is_remote) == \
        (expected.trace_id, expected.trace_flags, expected.trace_state, expected.is_remote)
    assert mine.span_id != int(CALLER_SPAN, 16) and not theirs.is_recording()
    assert baggage.get_all(ours) == baggage.get_all(parent)


@pytest.mark.parametrize("headers", [{"traceparent": SAMPLED}, {"traceparent": UNSAMPLED, "Traceparent": SAMPLED}])
def test_a_sampled_or_ambiguous_trace_context_is_left_to_opentelemetry(spans: InMemorySpanExporter,
                                                                       headers: dict[str, str]) -> None:
    assert sampling(scope_with(headers)) is None


@pytest.mark.parametrize("host", [b"portal", b"portal-\xff", None])
async def test_health_checks_are_never_traced_whatever_host_they_are_asked_under(
        spans: InMemorySpanExporter, host: bytes | None) -> None:
    headers = [(b"traceparent", SAMPLED.encode())] + ([(b"host", host)] if host is not None else [])
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": "/healthz", "raw_path": b"/healthz", "query_string": b"", "root_path": "", "headers": headers,
             "client": ("127.0.0.1", 5000), "server": ("portal", 80)}
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    await portal_app("any-host")(scope, receive, send)

    assert sent[0]["status"] == 200 and spans.get_finished_spans() == ()


async def test_an_answer_that_already_carries_a_traceparent_goes_out_with_this_request_s_alone(
        spans: InMemorySpanExporter) -> None:
    """What the gateway forwards carries the service's own traceparent: the caller gets the gateway's, once."""
    app = FastAPI()
    install_plumbing(app, "forwarding", Readiness())
    theirs = f"00-{'a' * 32}-{'b' * 16}-00"

    @app.get("/forwarded")
    async def forwarded() -> Response:
        return Response(b"{}", headers={"traceparent": theirs, "content-type": "application/json"})

    response = await get(app, "/forwarded", {"traceparent": UNSAMPLED})

    [traceparent] = response.headers.get_list("traceparent")
    assert traceparent != theirs and traceparent.startswith(f"00-{'e' * 32}-")
    assert response.headers["content-type"] == "application/json"


def built_app(service: str, keypair: tuple[str, str], tmp_path: Path) -> FastAPI:
    """The service's app as `portal serve` builds it (not started)."""
    settings: Any
    if service == "gateway":
        settings = GatewaySettings(identity_private_key=keypair[0])
    else:
        settings = importlib.import_module(f"services.{service}.config").Settings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / service}.db", amqp_url="memory://web-tracing",
            identity_public_key=keypair[1])
    app: FastAPI = importlib.import_module(f"services.{service}.app").create_app(settings)
    return app


@pytest.mark.parametrize("service", ["gateway", "catalog"])
async def test_fastapi_s_own_telemetry_never_looks_for_the_middleware_it_would_stand_aside_for(
        spans: InMemorySpanExporter, keypair: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        service: str) -> None:
    """OpenTelemetry's middleware traces the portal's requests; FastAPI's own telemetry, left on, walked the middleware
    chain on every request to find it there and do nothing."""
    looked: list[object] = []
    monkeypatch.setattr(fastapi.applications, "_legacy_otel", looked.append)

    response = await get(built_app(service, keypair, tmp_path), "/healthz", {"traceparent": SAMPLED})

    assert response.status_code == 200 and looked == []
