"""An operator following a sampled trace sees its SQL statements, on every engine a service opens; an unsampled
request's statements leave nothing behind."""

from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import text

from shared.db import dispose, engine_for
from shared.tracing import configure_tracing, consuming

pytestmark = pytest.mark.integration

SAMPLED = {"traceparent": "00-" + "c" * 32 + "-" + "d" * 16 + "-01"}
NOT_SAMPLED = {"traceparent": "00-" + "e" * 32 + "-" + "f" * 16 + "-00"}
_exported = InMemorySpanExporter()
_exporting: list[TracerProvider] = []


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


def statement_spans(exported: InMemorySpanExporter) -> list[str]:
    return [s.name for s in exported.get_finished_spans()
            if s.kind == trace.SpanKind.CLIENT and s.context.trace_id == int("c" * 32, 16)]


async def test_each_engine_s_statements_in_a_sampled_trace_are_spans_of_that_trace(
        database_url: str, spans: InMemorySpanExporter) -> None:
    first, second = engine_for(database_url), engine_for(database_url)
    try:
        with consuming("a-queue", SAMPLED):
            for engine in (first, second):
                async with engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))
    finally:
        await dispose(first)
        await dispose(second)

    assert [name.split()[0] for name in statement_spans(spans) if name.startswith("SELECT")] == ["SELECT", "SELECT"]


async def test_statements_in_an_unsampled_trace_or_in_none_make_no_span(database_url: str,
                                                                       spans: InMemorySpanExporter) -> None:
    engine = engine_for(database_url)
    try:
        with consuming("a-queue", NOT_SAMPLED):
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 2"))
    finally:
        await dispose(engine)

    assert [s for s in spans.get_finished_spans() if s.kind == trace.SpanKind.CLIENT] == []
