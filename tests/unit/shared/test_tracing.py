import pytest
from opentelemetry import propagate, trace

from shared.tracing import (
    ChildSpansOnly,
    calling,
    configure_tracing,
    consuming,
    current_trace_id,
    extracted,
    publishing,
)

SAMPLED = {"traceparent": "00-" + "c" * 32 + "-" + "d" * 16 + "-01"}
NOT_SAMPLED = {"traceparent": "00-" + "e" * 32 + "-" + "f" * 16 + "-00"}


def statement_tracer() -> trace.Tracer:
    return ChildSpansOnly(trace.get_tracer_provider()).get_tracer("sql")


def test_a_statement_in_a_sampled_trace_gets_its_own_span_in_that_trace() -> None:
    configure_tracing("test")
    with consuming("a-queue", SAMPLED), statement_tracer().start_as_current_span("INSERT") as span:
        assert span.is_recording()
        assert current_trace_id() == "c" * 32
        assert trace.get_current_span() is span


def test_a_statement_in_an_unsampled_trace_records_nothing_yet_keeps_the_trace_id_for_the_logs() -> None:
    configure_tracing("test")
    with consuming("a-queue", NOT_SAMPLED):
        span = statement_tracer().start_span("INSERT")
        with statement_tracer().start_as_current_span("connect") as connecting:
            assert current_trace_id() == "e" * 32
    assert not span.is_recording() and not connecting.is_recording()


def test_a_statement_outside_any_trace_never_starts_one() -> None:
    configure_tracing("test")
    span = statement_tracer().start_span("SELECT")

    assert not span.get_span_context().is_valid


def test_an_unsampled_message_passes_its_trace_on_to_what_it_publishes_unsampled() -> None:
    configure_tracing("test")
    headers: dict[str, str] = {}
    with consuming("a-queue", NOT_SAMPLED), publishing("a.key", headers):
        assert current_trace_id() == "e" * 32
    version, trace_id, _, flags = headers["traceparent"].split("-")
    assert (version, trace_id, flags) == ("00", "e" * 32, "00")


def test_a_sampled_message_publishes_under_a_span_of_its_own() -> None:
    configure_tracing("test")
    headers: dict[str, str] = {}
    with consuming("a-queue", SAMPLED), publishing("a.key", headers):
        pass
    _, trace_id, span_id, flags = headers["traceparent"].split("-")
    assert (trace_id, flags) == ("c" * 32, "01") and span_id != "d" * 16


@pytest.mark.parametrize("carrier", [SAMPLED, NOT_SAMPLED, {"traceparent": "00-" + "0" * 32 + "-" + "d" * 16 + "-01"},
                                     {"traceparent": "01-" + "c" * 32 + "-" + "d" * 16 + "-01"},
                                     SAMPLED | {"tracestate": "portal=1"}, {"traceparent": "garbage"}, {}])
def test_a_message_s_trace_context_is_read_as_the_opentelemetry_propagators_read_it(carrier: dict[str, str]) -> None:
    ours, theirs = trace.get_current_span(extracted(carrier)), trace.get_current_span(propagate.extract(carrier))

    assert ours.get_span_context() == theirs.get_span_context()
    assert ours.get_span_context().trace_state == theirs.get_span_context().trace_state


def test_a_process_without_tracing_publishes_outside_any_trace_without_trace_headers_and_passes_one_on(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shared.tracing._configured", [])
    headers: dict[str, str] = {}
    with publishing("a.key", headers):
        assert current_trace_id() is None
    assert headers == {}
    with consuming("a-queue", SAMPLED), publishing("a.key", headers):
        pass
    assert headers == {"traceparent": SAMPLED["traceparent"]}


def test_a_call_to_a_service_in_a_sampled_trace_gets_a_client_span_whose_context_it_carries() -> None:
    configure_tracing("test")
    headers: dict[str, str] = {}
    with consuming("a-queue", SAMPLED | {"tracestate": "citizenapp=7"}), \
            calling("POST", "http://requests/api/v1/requests", headers) as span:
        assert span is not None and span.is_recording()
        own = span.get_span_context()
    assert headers["traceparent"] == f"00-{'c' * 32}-{own.span_id:016x}-01"
    assert headers["tracestate"] == "citizenapp=7"


def test_a_call_to_a_service_in_an_unsampled_trace_carries_that_trace_on_without_a_span() -> None:
    configure_tracing("test")
    headers: dict[str, str] = {}
    with consuming("a-queue", NOT_SAMPLED), calling("GET", "http://search/api/v1/search", headers) as span:
        assert span is None
    assert headers["traceparent"].split("-")[1:] == ["e" * 32, "f" * 16, "00"]
    outside: dict[str, str] = {}
    with calling("GET", "http://search/readyz", outside):
        pass
    assert outside == {}
