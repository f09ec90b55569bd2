import json
import math

from shared import json_codec
from shared.bus import Envelope


def test_a_long_number_answer_reaches_the_ministry_exactly() -> None:
    fields = {"account": 12345678901234567890123, "negative": -9223372036854775809, "note": "عائشة"}
    envelope = Envelope(type="om.portal.request.submitted.v1", source="/requests", data={"fields": fields})
    assert Envelope.from_body(envelope.to_body()).data == {"fields": fields}


def test_a_json_column_keeps_a_long_number_exactly() -> None:
    value = {"answer": 10**300, "small": 42}
    assert json_codec.loads(json_codec.dumps_text(value)) == value


def test_what_the_json_module_read_is_still_read() -> None:
    assert math.isnan(json_codec.loads(b'{"x": NaN}')["x"])
    assert json_codec.loads('"\\ud800"') == json.loads('"\\ud800"')


def test_keys_that_are_not_strings_are_written_as_strings_as_before() -> None:
    assert json.loads(json_codec.dumps({1: "a", 2: "b"})) == json.loads(json.dumps({1: "a", 2: "b"}))


def test_a_lone_surrogate_is_written_as_the_json_module_wrote_it() -> None:
    assert json.loads(json_codec.dumps({"x": "\ud800"})) == {"x": "\ud800"}


def test_invalid_json_is_refused_as_before() -> None:
    for text in (b"{", b"", b"\xff"):
        try:
            json_codec.loads(text)
        except ValueError:
            continue
        raise AssertionError(f"{text!r} was read")
