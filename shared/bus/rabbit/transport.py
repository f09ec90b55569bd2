"""The broker connections' socket writes, coalesced: the frames written in one turn of the event loop leave in one
send.

aiormq writes each frame it takes from its write queue on its own: every publish (its method, header and body
frames, already one write), every ack and every confirm round's next publish is a send() of its own, and under
load those sends were about a tenth of a service's CPU (StreamWriter.write, the requests service's first
function by own CPU in bench.profile). The write queue is aiormq's; the socket it writes to is made here, through
aiormq's TransportFactory, and aio-pika's robust connection hands the factory over on every (re)connect.
"""

import asyncio
from typing import Any

import aio_pika
import aiormq


class CoalescingWriter(asyncio.StreamWriter):
    """A StreamWriter whose writes made in one turn of the event loop are joined and sent at the start of the next
    (or at drain, write_eof or close, whichever is first): in the order written, nothing held back past a drain."""

    def __init__(self, transport: asyncio.WriteTransport, protocol: asyncio.StreamReaderProtocol,
                 reader: asyncio.StreamReader, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(transport, protocol, reader, loop)
        self._when_idle = loop.call_soon
        self._pending: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._pending:
            self._when_idle(self.flush)
        self._pending.append(bytes(data))

    def flush(self) -> None:
        """Send what was written so far, unless the connection is closing (then the frames would go nowhere)."""
        if not self._pending:
            return
        data = self._pending[0] if len(self._pending) == 1 else b"".join(self._pending)
        self._pending.clear()
        if not self.transport.is_closing():
            super().write(data)

    async def drain(self) -> None:
        self.flush()
        await super().drain()

    def write_eof(self) -> None:
        self.flush()
        super().write_eof()

    def close(self) -> None:
        self.flush()
        super().close()


class CoalescingTransports(aiormq.TransportFactory):
    """What aiormq's TCP and TLS factories open (asyncio.open_connection), with a CoalescingWriter."""

    async def create(self, url: Any, **kwargs: Any) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """url: aiormq's yarl.URL (yarl comes with aiormq; the portal does not declare it)."""
        if url.host is None or url.port is None:
            raise ValueError("the broker's URL names no host or port")
        provider = kwargs.pop("ssl_context_provider", None)
        ssl = await provider.get_context() if url.scheme == "amqps" and provider is not None else None
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(loop=loop)
        protocol = asyncio.StreamReaderProtocol(reader, loop=loop)
        try:
            transport, _ = await loop.create_connection(lambda: protocol, url.host, url.port, ssl=ssl, **kwargs)
        except OSError as exc:
            raise aiormq.AMQPConnectionError(*exc.args) from exc
        return reader, CoalescingWriter(transport, protocol, reader, loop)


class CoalescingRobustConnection(aio_pika.RobustConnection):
    """aio-pika's robust connection, its every (re)connect made through CoalescingTransports."""

    def __init__(self, url: Any, loop: asyncio.AbstractEventLoop | None = None, **kwargs: Any) -> None:
        super().__init__(url, loop=loop, **kwargs)
        # aio-pika passes its connection's kwargs on to aiormq.connect (it keeps only those it knows from the
        # caller's, so this one is set here).
        self.kwargs["transport_factory"] = CoalescingTransports()
