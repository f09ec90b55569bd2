"""The gateway's HTTP/1.1 client to the services behind it, against services scripted byte by byte on a real socket,
on both event loops the gateway may run on (uvloop under `portal serve`, asyncio's own elsewhere)."""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from services.gateway.adapters.http1 import (
    ConnectError,
    PoolTimeout,
    ReadTimeout,
    RemoteProtocolError,
    UpstreamClient,
)
from tests.unit.gateway.test_live import free_port


@dataclass
class Call:
    head: str
    body: bytes

    @property
    def target(self) -> str:
        return self.head.split(" ")[1]

    def header(self, name: str) -> list[str]:
        return [line.split(":", 1)[1].strip() for line in self.head.split("\r\n")[1:]
                if line.split(":", 1)[0].lower() == name]


Answer = Callable[[Call, asyncio.StreamWriter], Awaitable[bool]]  # True: keep the connection open


@dataclass
class Service:
    url: str
    calls: list[Call] = field(default_factory=list)
    connections: int = 0


def answer_with(raw: bytes, keep: bool = True) -> Answer:
    async def answer(call: Call, writer: asyncio.StreamWriter) -> bool:
        writer.write(raw)
        await writer.drain()
        return keep

    return answer


OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}"


@contextlib.asynccontextmanager
async def scripted(answer: Answer) -> AsyncIterator[Service]:
    port = free_port()
    service = Service(f"http://127.0.0.1:{port}")

    async def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        service.connections += 1
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                call = Call(head, b"")
                length = call.header("content-length")
                call.body = await reader.readexactly(int(length[0])) if length else b""
                service.calls.append(call)
                if not await answer(call, writer):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(connected, "127.0.0.1", port)
    try:
        yield service
    finally:
        server.close()


def client(url: str, read_timeout: float = 5.0, **limits: int) -> UpstreamClient:
    return UpstreamClient(url, read_timeout=read_timeout, connect_timeout=1.0, **limits)


async def test_an_answer_with_a_length_is_read_whole_and_its_connection_serves_the_next_call() -> None:
    async with scripted(answer_with(OK)) as service:
        upstream = client(service.url)
        first = await upstream.request("POST", "/api/v1/requests", json={"service": "renew", "name": "عائشة"})
        second = await upstream.request("GET", "/api/v1/requests/1")
        await upstream.aclose()
    assert (first.status_code, first.json(), first.headers["content-type"]) == (200, {"ok": True}, "application/json")
    assert second.json() == {"ok": True}
    assert service.connections == 1
    posted = service.calls[0]
    assert json.loads(posted.body) == {"service": "renew", "name": "عائشة"}
    assert posted.header("content-length") == [str(len(posted.body))]
    assert posted.header("host") == [service.url.removeprefix("http://")]
    assert service.calls[1].header("content-length") == []


async def test_a_chunked_answer_is_read_whole() -> None:
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    async with scripted(answer_with(chunked)) as service:
        upstream = client(service.url)
        answers = [await upstream.request("GET", "/report") for _ in range(2)]
        await upstream.aclose()
    assert [a.content for a in answers] == [b"hello world"] * 2
    assert service.connections == 1


async def test_a_large_body_travels_both_ways_intact() -> None:
    async def echo(call: Call, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(call.body), call.body))
        await writer.drain()
        return True

    document = bytes(range(256)) * 8192  # 2 MB
    async with scripted(echo) as service:
        upstream = client(service.url)
        answer = await upstream.request("PUT", "/documents/1", content=document)
        await upstream.aclose()
    assert answer.content == document


async def test_a_connection_the_service_closed_while_idle_is_not_reused() -> None:
    async with scripted(answer_with(OK, keep=False)) as service:
        upstream = client(service.url)
        await upstream.request("POST", "/api/v1/requests", content=b"{}")
        await asyncio.sleep(0.1)  # the service's close arrives while the connection is idle
        again = await upstream.request("POST", "/api/v1/requests", content=b"{}")
        await upstream.aclose()
    assert again.status_code == 200 and service.connections == 2


async def test_an_answer_saying_connection_close_is_the_last_on_its_connection() -> None:
    closing = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"
    async with scripted(answer_with(closing)) as service:
        upstream = client(service.url)
        answers = [await upstream.request("GET", "/x") for _ in range(3)]
        await upstream.aclose()
    assert [a.content for a in answers] == [b"ok"] * 3 and service.connections == 3


async def test_a_body_that_runs_to_the_end_of_the_connection_is_read_whole() -> None:
    async with scripted(answer_with(b"HTTP/1.1 200 OK\r\n\r\nall of it", keep=False)) as service:
        upstream = client(service.url)
        answer = await upstream.request("GET", "/x")
        await upstream.aclose()
    assert answer.content == b"all of it"


async def test_a_head_answer_has_no_body_and_its_connection_serves_the_next_call() -> None:
    async def head_then_get(call: Call, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n" if call.head.startswith("HEAD") else OK)
        await writer.drain()
        return True

    async with scripted(head_then_get) as service:
        upstream = client(service.url)
        head = await upstream.request("HEAD", "/x")
        get = await upstream.request("GET", "/x")
        await upstream.aclose()
    assert (head.headers["content-length"], head.content, get.json()) == ("11", b"", {"ok": True})
    assert service.connections == 1


async def test_a_service_that_goes_quiet_is_a_read_timeout_and_its_connection_is_dropped() -> None:
    async def quiet_once(call: Call, writer: asyncio.StreamWriter) -> bool:
        if call.target == "/slow":
            await asyncio.sleep(2.0)
        writer.write(OK)
        await writer.drain()
        return True

    async with scripted(quiet_once) as service:
        # Room for /fast to answer on a loaded machine; /slow stays quiet four times as long.
        upstream = client(service.url, read_timeout=0.5)
        with pytest.raises(ReadTimeout):
            await upstream.request("GET", "/slow")
        after = await upstream.request("GET", "/fast")
        await upstream.aclose()
    # The late answer to /slow can never be taken for /fast's.
    assert after.json() == {"ok": True} and service.connections == 2


async def test_an_answer_that_keeps_coming_is_not_cut_off_by_the_read_timeout() -> None:
    async def trickle(call: Call, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n")
        for byte in b"slow!!":
            await asyncio.sleep(0.2)
            writer.write(bytes([byte]))
            await writer.drain()
        return True

    async with scripted(trickle) as service:
        # Each byte well within the read timeout, the whole answer twice as long as it.
        upstream = client(service.url, read_timeout=0.6)
        answer = await upstream.request("GET", "/x")
        await upstream.aclose()
    assert answer.content == b"slow!!"


async def test_a_service_that_hangs_up_without_answering_is_a_protocol_error() -> None:
    async def hang_up(call: Call, writer: asyncio.StreamWriter) -> bool:
        return False

    async with scripted(hang_up) as service:
        upstream = client(service.url)
        with pytest.raises(RemoteProtocolError):
            await upstream.request("POST", "/api/v1/requests", content=b"{}")
        await upstream.aclose()
    assert len(service.calls) == 1


async def test_a_malformed_answer_is_a_protocol_error() -> None:
    async with scripted(answer_with(b"SMTP ready\r\n\r\n")) as service:
        upstream = client(service.url)
        with pytest.raises(RemoteProtocolError):
            await upstream.request("GET", "/x")
        await upstream.aclose()


async def test_nothing_listening_is_a_connect_error() -> None:
    upstream = client(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ConnectError):
        await upstream.request("GET", "/x")


async def test_a_header_that_would_end_its_line_is_never_sent() -> None:
    async with scripted(answer_with(OK)) as service:
        upstream = client(service.url)
        with pytest.raises(ValueError, match="header"):
            await upstream.request("GET", "/x", headers={"x-note": "a\r\nx-portal-identity: forged"})
        await upstream.aclose()
    assert service.calls == []


async def test_the_callers_framing_headers_are_replaced_by_the_clients_own() -> None:
    async with scripted(answer_with(OK)) as service:
        upstream = client(service.url)
        await upstream.request("POST", "/x", content=b"{}", headers={
            "Content-Length": "999", "Transfer-Encoding": "chunked", "Host": "elsewhere", "accept-encoding": "gzip",
            "x-request-id": "r-1"})
        await upstream.aclose()
    call = service.calls[0]
    assert (call.header("content-length"), call.header("transfer-encoding"), call.header("accept-encoding"),
            call.header("x-request-id")) == (["2"], [], ["identity"], ["r-1"])
    assert call.header("host") == [service.url.removeprefix("http://")]


async def test_query_parameters_and_paths_are_encoded_as_httpx_did() -> None:
    async with scripted(answer_with(OK)) as service:
        upstream = client(service.url)
        await upstream.request("GET", "/api/v1/services/تجديد", params={
            "q": "رخصة قيادة", "page": 2, "open": True, "ministry": None, "tag": ["a&b", "c"]})
        await upstream.request("GET", "/api/v1/search", params="q=a%20b&lang=en")
        await upstream.aclose()
    assert service.calls[0].target == ("/api/v1/services/%D8%AA%D8%AC%D8%AF%D9%8A%D8%AF?"
                                       "q=%D8%B1%D8%AE%D8%B5%D8%A9%20%D9%82%D9%8A%D8%A7%D8%AF%D8%A9&page=2&open=true"
                                       "&ministry=&tag=a%26b&tag=c")
    assert service.calls[1].target == "/api/v1/search?q=a%20b&lang=en"


async def test_calls_past_the_connection_limit_wait_for_a_connection_and_give_up_after_the_timeout() -> None:
    async def slow(call: Call, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(0.3)
        writer.write(OK)
        await writer.drain()
        return True

    async with scripted(slow) as service:
        upstream = client(service.url, read_timeout=1.0, max_connections=1)
        both = await asyncio.gather(upstream.request("GET", "/a"), upstream.request("GET", "/b"))
        hurried = client(service.url, read_timeout=0.1, max_connections=1)
        first = asyncio.create_task(hurried.request("GET", "/c", read_timeout=1.0))
        await asyncio.sleep(0)
        with pytest.raises(PoolTimeout):
            await hurried.request("GET", "/d")
        await first
        await upstream.aclose()
        await hurried.aclose()
    assert [a.status_code for a in both] == [200, 200] and service.connections == 2


async def test_a_cookie_a_service_sets_is_never_sent_back() -> None:
    cookie = b"HTTP/1.1 200 OK\r\nSet-Cookie: session=for-aisha\r\nContent-Length: 2\r\n\r\nok"
    async with scripted(answer_with(cookie)) as service:
        upstream = client(service.url)
        await upstream.request("GET", "/x")
        await upstream.request("GET", "/x")
        await upstream.aclose()
    assert service.calls[1].header("cookie") == []
