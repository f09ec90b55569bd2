"""Bus throughput: RabbitBus against hand-written aio-pika on one broker, vhost, queue type and payload."""

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import aio_pika
from aio_pika.abc import AbstractConnection, AbstractExchange, AbstractIncomingMessage
from pamqp.commands import Basic

from bench.payload import sample_envelopes
from bench.settings import BenchSettings
from bench.stats import median
from shared.bus import Delivery, Envelope
from shared.bus.admin import BrokerAdmin
from shared.bus.envelope import CONTENT_TYPE
from shared.bus.rabbit import RabbitBus
from shared.bus.topology import EVENTS, Binding, QueueSpec

CONSUME_TIMEOUT = 120.0
RAW_EXCHANGE = "bench.raw"
RAW_KEY = "bench.throughput.raw"
OURS_KEY = "bench.throughput.ours"
RAW_QUEUE = QueueSpec("bench.throughput.raw", (Binding(RAW_EXCHANGE, RAW_KEY),))
OURS_QUEUE = QueueSpec("bench.throughput.ours", (Binding(EVENTS, OURS_KEY),))

PUBLISH_SEQUENTIAL = "publish (sequential)"
PUBLISH_CONCURRENT = "publish (32 in flight)"
CONSUME = "consume (prefetch 32)"
METRICS = (PUBLISH_SEQUENTIAL, PUBLISH_CONCURRENT, CONSUME)


@dataclass(frozen=True)
class Span:
    """Wall-clock and this process's CPU seconds over what was measured, and nothing else."""

    seconds: float
    cpu_seconds: float


class Side(Protocol):
    name: str
    queue: str

    def prepare(self, envelopes: list[Envelope]) -> list[Any]:
        """What publishing starts from, made before the clock starts."""

    async def publish_sequential(self, prepared: list[Any]) -> None: ...

    async def publish_concurrent(self, prepared: list[Any], in_flight: int) -> None: ...

    async def consume(self, count: int, prefetch: int) -> Span:
        """From the first message handled to the last."""


class Arrivals:
    """Counts handled messages; done once `expected` have arrived, timing the first to the last. The CPU time is
    taken over the same span: consuming's setup (a channel, the queue's declaration) and the block's publishing
    are no part of what a message costs a running consumer."""

    def __init__(self, expected: int) -> None:
        self._expected = expected
        self._seen = 0
        self._first = (0.0, 0.0)
        self._last = (0.0, 0.0)
        self._done = asyncio.Event()

    def tick(self) -> None:
        self._seen += 1
        if self._seen == 1:
            self._first = (time.perf_counter(), time.process_time())
        if self._seen == self._expected:
            self._last = (time.perf_counter(), time.process_time())
            self._done.set()

    async def span(self) -> Span:
        await asyncio.wait_for(self._done.wait(), CONSUME_TIMEOUT)
        return Span(self._last[0] - self._first[0], self._last[1] - self._first[1])


T = TypeVar("T")


def batches(items: list[T], size: int) -> Iterable[list[T]]:
    return (items[i:i + size] for i in range(0, len(items), size))


class RawSide:
    """What a careful hand-written aio-pika client does, with nothing of ours in the way."""

    name = "raw aio-pika"
    queue = RAW_QUEUE.name

    def __init__(self, url: str) -> None:
        self._url = url
        self._connection: AbstractConnection | None = None
        self._exchange: AbstractExchange | None = None

    async def start(self) -> None:
        self._connection = await aio_pika.connect(self._url, client_properties={"connection_name": self.name})
        channel = await self._connection.channel(publisher_confirms=True)
        self._exchange = await channel.declare_exchange(RAW_EXCHANGE, aio_pika.ExchangeType.TOPIC,
                                                        durable=True)
        queue = await channel.declare_queue(RAW_QUEUE.name, durable=True, arguments=RAW_QUEUE.arguments())
        await queue.bind(self._exchange, RAW_KEY)

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()

    async def purge(self, queue: str) -> None:
        assert self._connection is not None
        async with self._connection.channel() as channel:
            await (await channel.get_queue(queue, ensure=False)).purge()

    def prepare(self, envelopes: list[Envelope]) -> list[tuple[str, bytes]]:
        return [(envelope.id, envelope.to_body()) for envelope in envelopes]

    async def _publish(self, message_id: str, body: bytes) -> None:
        assert self._exchange is not None
        message = aio_pika.Message(body, content_type=CONTENT_TYPE, message_id=message_id,
                                   delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
        confirmation = await self._exchange.publish(message, RAW_KEY, mandatory=True)
        if not isinstance(confirmation, Basic.Ack):
            raise RuntimeError(f"the broker did not take the message: {confirmation!r}")

    async def publish_sequential(self, prepared: list[tuple[str, bytes]]) -> None:
        for message_id, body in prepared:
            await self._publish(message_id, body)

    async def publish_concurrent(self, prepared: list[tuple[str, bytes]], in_flight: int) -> None:
        for batch in batches(prepared, in_flight):
            await asyncio.gather(*(self._publish(message_id, body) for message_id, body in batch))

    async def consume(self, count: int, prefetch: int) -> Span:
        assert self._connection is not None
        channel = await self._connection.channel()
        try:
            await channel.set_qos(prefetch_count=prefetch)
            queue = await channel.get_queue(RAW_QUEUE.name, ensure=False)
            arrivals = Arrivals(count)

            async def on_message(message: AbstractIncomingMessage) -> None:
                arrivals.tick()
                await message.ack()

            tag = await queue.consume(on_message, no_ack=False)
            span = await arrivals.span()
            await queue.cancel(tag)
            return span
        finally:
            await channel.close()


class OurSide:
    """RabbitBus exactly as the services and the outbox relay use it."""

    name = "RabbitBus"
    queue = OURS_QUEUE.name

    def __init__(self, url: str) -> None:
        self._bus = RabbitBus(url, name="bench-ours")

    async def start(self) -> None:
        await self._bus.start()
        await self._bus.declare([OURS_QUEUE])

    async def close(self) -> None:
        await self._bus.close()

    def prepare(self, envelopes: list[Envelope]) -> list[Envelope]:
        return envelopes

    async def publish_sequential(self, envelopes: list[Envelope]) -> None:
        for envelope in envelopes:
            await self._bus.publish(envelope, EVENTS, OURS_KEY)

    async def publish_concurrent(self, envelopes: list[Envelope], in_flight: int) -> None:
        for batch in batches(envelopes, in_flight):
            await asyncio.gather(*(self._bus.publish(envelope, EVENTS, OURS_KEY) for envelope in batch))

    async def consume(self, count: int, prefetch: int) -> Span:
        arrivals = Arrivals(count)

        async def handler(_: Delivery) -> None:
            arrivals.tick()

        consumer = await self._bus.consume(OURS_QUEUE, handler, prefetch=prefetch)
        try:
            return await arrivals.span()
        finally:
            await consumer.cancel()


@dataclass
class Samples:
    """Messages per second, one list per metric, for one side."""

    rates: dict[str, list[float]] = field(default_factory=lambda: {metric: [] for metric in METRICS})
    # This process's CPU time per message, µs: what the shared machine's load hardly moves.
    cpu_us: dict[str, list[float]] = field(default_factory=lambda: {metric: [] for metric in METRICS})

    def add(self, metric: str, count: int, seconds: float, cpu_seconds: float = 0.0) -> None:
        self.rates[metric].append(count / seconds)
        self.cpu_us[metric].append(cpu_seconds / count * 1e6)

    def median(self, metric: str) -> float:
        return median(self.rates[metric])


@dataclass(frozen=True)
class ThroughputResult:
    messages: int
    rounds: int
    raw: Samples
    ours: Samples
    body_bytes: int

    def ratios(self, metric: str) -> list[float]:
        """Ours over raw, round by round: the two sides of a round ran back to back under the same load."""
        return [o / r for o, r in zip(self.ours.rates[metric], self.raw.rates[metric], strict=True)]

    def ratio(self, metric: str) -> float:
        return median(self.ratios(metric))

    def cpu_ratio(self, metric: str) -> float:
        """Raw's CPU per message over ours (1.0: the bus costs the process no more than aio-pika alone)."""
        return median(self.raw.cpu_us[metric]) / median(self.ours.cpu_us[metric])


async def timed(action: Callable[[], Awaitable[None]]) -> Span:
    started, cpu_started = time.perf_counter(), time.process_time()
    await action()
    return Span(time.perf_counter() - started, time.process_time() - cpu_started)


async def warm_up(side: Side, settings: BenchSettings) -> None:
    await side.publish_sequential(side.prepare(sample_envelopes(settings.warmup)))
    await side.consume(settings.warmup, settings.prefetch)
    await side.publish_concurrent(side.prepare(sample_envelopes(settings.warmup)), settings.in_flight)
    await side.consume(settings.warmup, settings.prefetch)


BLOCK = 64


async def measure_block(metric: str, side: Side, settings: BenchSettings) -> tuple[int, Span]:
    """(messages, span) for one block of one metric on one side; the queue is left empty. Only the metric's own
    work is on the clocks: not making the block's messages, nor, for consuming, publishing them."""
    prepared = side.prepare(sample_envelopes(BLOCK))
    if metric == PUBLISH_SEQUENTIAL:
        return BLOCK, await timed(lambda: side.publish_sequential(prepared))
    if metric == PUBLISH_CONCURRENT:
        return BLOCK, await timed(lambda: side.publish_concurrent(prepared, settings.in_flight))
    await side.publish_concurrent(prepared, settings.in_flight)
    return BLOCK - 1, await side.consume(BLOCK, settings.prefetch)


async def compare(raw: RawSide, ours: OurSide, settings: BenchSettings) -> tuple[Samples, Samples]:
    """Both sides warmed up, then measured in blocks of 64 messages, one side's block right after the other's
    and in alternating order, so that the load of the shared machine (it varied fivefold over a run when each
    side ran 2,000 at a time) weighs on both alike. A round is bus_messages per side; the ratio reported is the
    median over rounds."""
    sides: list[tuple[Side, Samples]] = [(raw, Samples()), (ours, Samples())]
    for side, _ in sides:
        await warm_up(side, settings)
    blocks = max(settings.bus_messages // BLOCK, 1)
    for _ in range(settings.bus_rounds):
        for metric in METRICS:
            totals = {side.name: [0.0, 0.0, 0.0] for side, _ in sides}
            for block in range(blocks):
                for side, _ in (sides if block % 2 == 0 else sides[::-1]):
                    count, span = await measure_block(metric, side, settings)
                    totals[side.name][0] += count
                    totals[side.name][1] += span.seconds
                    totals[side.name][2] += span.cpu_seconds
                    await raw.purge(side.queue)
            for side, samples in sides:
                messages, seconds, cpu_seconds = totals[side.name]
                samples.add(metric, int(messages), seconds, cpu_seconds)
    return sides[0][1], sides[1][1]


async def measure_throughput(settings: BenchSettings) -> ThroughputResult:
    vhost = f"bench-bus-{uuid.uuid4().hex[:8]}"
    url = settings.amqp_url(vhost)
    admin = BrokerAdmin(settings.management_url, "guest", "guest", vhost)
    raw, ours = RawSide(url), OurSide(url)
    try:
        await admin.ensure_vhost()
        await admin.grant_admin("guest")
        await ours.start()
        await raw.start()
        raw_samples, our_samples = await compare(raw, ours, settings)
        return ThroughputResult(settings.bus_messages, settings.bus_rounds, raw_samples, our_samples,
                                len(sample_envelopes(1)[0].to_body()))
    finally:
        await raw.close()
        await ours.close()
        await admin.delete_vhost()
        await admin.close()
