"""CPU cost of the CloudEvents envelope per message: what RabbitBus does that raw aio-pika does not."""

import time
from collections.abc import Callable
from dataclasses import dataclass

from bench.payload import sample_envelopes
from bench.stats import median
from shared.bus import Envelope


@dataclass(frozen=True)
class CodecResult:
    encode_us: float
    decode_us: float


def per_call_us(action: Callable[[], object], count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        action()
    return (time.perf_counter() - started) / count * 1e6


def measure_codec(count: int, repeats: int) -> CodecResult:
    envelope = sample_envelopes(1)[0]
    body = envelope.to_body()
    encode = [per_call_us(envelope.to_body, count) for _ in range(repeats)]
    decode = [per_call_us(lambda: Envelope.from_body(body), count) for _ in range(repeats)]
    return CodecResult(median(encode), median(decode))
