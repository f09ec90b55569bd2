"""Acks for one consumer, sent in runs: one basic.ack with multiple=True settles a run of handled messages."""

import asyncio
import contextlib
from collections import defaultdict

from aio_pika.abc import AbstractIncomingMessage
from aiormq.abc import AbstractChannel
from aiormq.exceptions import AMQPError, ChannelInvalidStateError

from shared.logging import get_logger

log = get_logger(__name__)


class RunningAcks:
    """While more deliveries wait behind the one just handled, its ack waits too (at most `limit` of them);
    the last of a run is acked with multiple=True, which settles every delivery up to it. That is used only when
    every earlier delivery of the channel is settled or in the run; otherwise each is acked on its own."""

    def __init__(self, limit: int) -> None:
        self._limit = max(limit, 1)
        self._waiting = 0
        # Delivery tags received and neither handled nor settled otherwise (dead-lettered), per channel.
        self._unsettled: dict[AbstractChannel, set[int]] = defaultdict(set)
        self._held: list[AbstractIncomingMessage] = []
        self._flushing: asyncio.Task[None] | None = None

    def received(self, message: AbstractIncomingMessage) -> None:
        """Counted before anything can fail, so that every received message is later done() or abandoned()."""
        self._waiting += 1
        # A closed channel: this message will not be acked on it, the broker redelivers it.
        with contextlib.suppress(ChannelInvalidStateError):
            self._unsettled[message.channel].add(_tag(message))

    async def done(self, message: AbstractIncomingMessage, *, handled: bool) -> None:
        """The message is out of the handler: handled (to be acked), or settled already (dead-lettered)."""
        self._waiting -= 1
        if not handled:
            self._forget(message)
        else:
            self._held.append(message)
        if len(self._held) >= self._limit:
            await self.flush()
        elif self._held and not self._waiting and self._flushing is None:
            # The deliveries of one read from the socket start one after the other: the rest of this one's
            # batch are handled before the acks go, in one.
            self._flushing = asyncio.create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        await asyncio.sleep(0)
        self._flushing = None
        await self.flush()

    def abandoned(self, message: AbstractIncomingMessage) -> None:
        """Neither handled nor settled (the handler was interrupted): the broker redelivers it."""
        self._waiting -= 1

    async def flush(self) -> None:
        held, self._held = self._held, []
        by_channel: dict[AbstractChannel, list[AbstractIncomingMessage]] = defaultdict(list)
        for message in held:
            try:
                by_channel[message.channel].append(message)
            except ChannelInvalidStateError:
                continue  # the channel closed: the broker redelivers what it had not been told of
        for channel, messages in by_channel.items():
            last = max(messages, key=_tag)
            for message in messages:
                self._forget(message)
            try:
                if all(tag > _tag(last) for tag in self._unsettled[channel]):
                    await last.ack(multiple=True)
                else:
                    for message in messages:
                        await message.ack()
            except (AMQPError, ChannelInvalidStateError):
                log.warning("bus_ack_failed", acks=len(messages), exc_info=True)

    def _forget(self, message: AbstractIncomingMessage) -> None:
        try:
            unsettled = self._unsettled[message.channel]
        except ChannelInvalidStateError:
            return
        unsettled.discard(_tag(message))


def _tag(message: AbstractIncomingMessage) -> int:
    return message.delivery_tag or 0
