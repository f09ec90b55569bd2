import json

import pytest

from shared.logging import configure_logging, get_logger
from shared.tracing import configure_tracing, consuming, current_traceparent, outgoing_headers, parse_trace_id


def logged(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    line = capsys.readouterr().out.strip().splitlines()[-1]
    parsed: dict[str, object] = json.loads(line)
    return parsed


def test_national_ids_phones_and_emails_never_reach_the_logs(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("test")
    get_logger().info("request_submitted", national_id="12345678", detail="call +968 9123 4567 or a@b.om",
                      fields={"phone": "91234567", "plate": "1234AB"})
    line = logged(capsys)
    text = json.dumps(line, ensure_ascii=False)
    for secret in ("12345678", "9123 4567", "91234567", "a@b.om"):
        assert secret not in text
    assert line["event"] == "request_submitted"
    assert line["fields"] == {"phone": "[redacted]", "plate": "1234AB"}


def test_every_log_line_carries_the_trace_id_of_the_request(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("test")
    configure_tracing("test")
    with consuming("a-queue", {"traceparent": "00-" + "c" * 32 + "-" + "d" * 16 + "-01", "tracestate": "om=1"}):
        get_logger().info("something_happened")
        assert outgoing_headers()["tracestate"] == "om=1"
    assert logged(capsys)["trace_id"] == "c" * 32


def test_a_malformed_incoming_trace_starts_a_new_one() -> None:
    configure_tracing("test")
    with consuming("a-queue", {"traceparent": "garbage"}):
        assert parse_trace_id(current_traceparent()) not in (None, "0" * 32)


def test_a_traceback_never_carries_personal_data_into_the_logs(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("test")
    try:
        raise ValueError("could not store 92345678 for ali@example.om, civil number 123456")
    except ValueError:
        get_logger().exception("store_failed")
    text = json.dumps(logged(capsys), ensure_ascii=False)
    assert "ValueError" in text
    for secret in ("92345678", "ali@example.om", "123456"):
        assert secret not in text


class Terminal:
    def __init__(self, tty: bool) -> None:
        self.tty = tty
        self.lines: list[str] = []

    def isatty(self) -> bool:
        return self.tty

    def write(self, text: str) -> int:
        self.lines.append(text)
        return len(text)

    def flush(self) -> None:
        pass


@pytest.mark.parametrize(("tty", "asked", "readable"), [(True, None, True), (False, None, False),
                                                        (True, "json", False), (False, "console", True)])
def test_a_terminal_gets_readable_lines_and_a_pipe_json_unless_asked_otherwise(
        monkeypatch: pytest.MonkeyPatch, tty: bool, asked: str | None, readable: bool) -> None:
    terminal = Terminal(tty)
    monkeypatch.setattr("sys.stdout", terminal)
    if asked:
        monkeypatch.setenv("PORTAL_LOG_FORMAT", asked)
    else:
        monkeypatch.delenv("PORTAL_LOG_FORMAT", raising=False)
    configure_logging("test")
    get_logger().info("portal_ready", url="http://localhost:8000", national_id="12345678")
    line = "".join(terminal.lines)
    assert "portal_ready" in line and "http://localhost:8000" in line and "12345678" not in line
    assert line.lstrip().startswith("{") is not readable
