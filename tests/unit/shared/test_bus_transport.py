"""The broker connection's socket writes, coalesced per turn of the event loop, on a transport that records its
sends (no I/O)."""

import asyncio

from shared.bus.rabbit.transport import CoalescingWriter


class Socket(asyncio.WriteTransport):
    """A transport that keeps what it is asked to send, one entry per send."""

    def __init__(self) -> None:
        super().__init__()
        self.sends: list[bytes] = []
        self.closing = False
        self.eof = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.sends.append(bytes(data))

    def write_eof(self) -> None:
        self.eof = True

    def can_write_eof(self) -> bool:
        return True

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def get_write_buffer_size(self) -> int:
        return 0


def writer() -> tuple[CoalescingWriter, Socket]:
    loop = asyncio.get_running_loop()
    socket = Socket()
    reader = asyncio.StreamReader(loop=loop)
    protocol = asyncio.StreamReaderProtocol(reader, loop=loop)
    protocol.connection_made(socket)
    return CoalescingWriter(socket, protocol, reader, loop), socket


async def test_the_frames_written_in_one_turn_of_the_event_loop_leave_in_one_send_in_their_order() -> None:
    stream, socket = writer()
    for frame in (b"publish-1", b"publish-2", b"ack-7"):
        stream.write(frame)
    assert socket.sends == []
    await asyncio.sleep(0)
    assert socket.sends == [b"publish-1publish-2ack-7"]
    stream.write(b"publish-3")
    await asyncio.sleep(0)
    assert socket.sends == [b"publish-1publish-2ack-7", b"publish-3"]


async def test_a_drain_sends_what_was_written_before_it_waits() -> None:
    stream, socket = writer()
    stream.write(b"close")
    await stream.drain()
    assert socket.sends == [b"close"]
    await asyncio.sleep(0)
    assert socket.sends == [b"close"]


async def test_ending_the_connection_sends_what_was_written_first() -> None:
    stream, socket = writer()
    stream.write(b"close-ok")
    stream.write_eof()
    assert (socket.sends, socket.eof) == ([b"close-ok"], True)
    stream.write(b"late")
    stream.close()
    assert socket.sends == [b"close-ok", b"late"]
    assert socket.closing


async def test_nothing_is_sent_on_a_connection_closing_meanwhile() -> None:
    stream, socket = writer()
    stream.write(b"publish")
    socket.closing = True
    await asyncio.sleep(0)
    assert socket.sends == []
