"""HTTP/1.1 to the services behind the gateway: kept-alive connections on asyncio, answers parsed by httptools.

Hand-written, on purpose. httpx (with httpcore on anyio) spent ~1.9 ms of CPU a call on the submission path (URL
and header models, a cookie jar, a pool that walks its connections and polls each socket per request, anyio's
stream wrappers), half the gateway's CPU. aiohttp spends ~0.12 ms but holds ~6 MB more in every gateway process,
past its 120 MB idle target. The wire work here is httptools' (llhttp, the parser uvicorn already loads); what is
written by hand is the framing of a request and a pool of connections to one service, ~0.05 ms a call.
"""

import asyncio
import json as jsonlib
import re
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, cast
from urllib.parse import quote, urlsplit

import httptools

from shared.tracing import calling

# The services' servers (uvicorn) close a connection after 5 s without a request; one idle this long is not reused,
# so that a request is not written into a connection the service is closing at that moment.
KEEP_IDLE_SECONDS = 4.0
# Framing is the client's own: a caller's copy of these could contradict it (a request smuggled behind another).
FRAMING = frozenset({"host", "content-length", "transfer-encoding", "connection", "keep-alive", "te", "trailer",
                     "upgrade", "accept-encoding"})
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# What may stand in a request target as it is; anything else is percent-encoded (as httpx did with a path).
_UNSAFE_IN_TARGET = re.compile(r"[^A-Za-z0-9\-._~/:@!$&'()*+,;=?%\[\]]|%(?![0-9A-Fa-f]{2})")
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_NO_BODY = (204, 304)


class TransportError(Exception):
    """No answer to pass on: the service could not be reached, went quiet, or broke the exchange off."""


class ConnectError(TransportError):
    pass


class ConnectTimeout(TransportError):
    pass


class ReadTimeout(TransportError):
    pass


class PoolTimeout(TransportError):
    pass


class RemoteProtocolError(TransportError):
    pass


@dataclass(frozen=True, slots=True)
class UpstreamResponse:
    status_code: int
    # Names in lower case; a header given more than once has its values joined with ", ".
    headers: dict[str, str]
    content: bytes

    def json(self) -> Any:
        return jsonlib.loads(self.content)


class Transport(Protocol):
    """Sends one request (its target, headers and body as the client framed them) and reads the whole answer."""

    async def __call__(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes,
                       read_timeout: float) -> UpstreamResponse: ...

    async def aclose(self) -> None: ...


def _target(path: str, query: str) -> str:
    target = f"{path}?{query}" if query else path
    if _UNSAFE_IN_TARGET.search(target) is None:
        return target
    return quote(_LONE_PERCENT.sub("%25", target), safe="/:@!$&'()*+,;=?%[]~")


def _query(params: str | Mapping[str, Any] | None) -> str:
    """A query string as httpx wrote one: lists repeat their name, True/False/None read true/false/empty."""
    if not params:
        return ""
    if isinstance(params, str):
        return params
    pairs = []
    for name, value in params.items():
        for item in value if isinstance(value, list | tuple) else (value,):
            text = "true" if item is True else "false" if item is False else "" if item is None else str(item)
            pairs.append(f"{quote(str(name), safe='')}={quote(text, safe='')}")
    return "&".join(pairs)


class UpstreamClient:
    """Calls to one service: its base URL, its timeouts (connect, and each wait for the answer's next bytes) and a
    pool of kept-alive connections. Keeps no cookies: the client is shared by every caller, and a cookie a service
    set in one citizen's answer must never ride along on anyone's call after it."""

    def __init__(self, base_url: str, *, read_timeout: float, connect_timeout: float, max_connections: int = 200,
                 max_idle: int = 50, transport: Transport | None = None) -> None:
        site = urlsplit(base_url)
        if site.scheme not in ("http", "https") or not site.hostname:
            raise ValueError(f"not an http(s) URL: {base_url}")
        self.base_url = base_url.rstrip("/")
        self._prefix = site.path.rstrip("/")
        self._host = site.netloc
        self._timeout = read_timeout
        self.transport: Transport = transport or Connections(
            site.hostname, site.port or (443 if site.scheme == "https" else 80), connect_timeout=connect_timeout,
            tls=site.scheme == "https", max_connections=max_connections, max_idle=max_idle)

    async def request(self, method: str, path: str, *, params: str | Mapping[str, Any] | None = None,
                      headers: Mapping[str, str] | None = None, content: bytes | None = None, json: Any = None,
                      read_timeout: float | None = None) -> UpstreamResponse:
        body = content or b""
        framed = [("Host", self._host)]
        if json is not None:
            body = jsonlib.dumps(json, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
            framed.append(("Content-Type", "application/json"))
        if body or method in ("POST", "PUT", "PATCH"):
            framed.append(("Content-Length", str(len(body))))
        # No compressed answers: the gateway reads every one whole, and inflating them would be its CPU.
        framed.append(("Accept-Encoding", "identity"))
        carrier: dict[str, str] = {}
        target = _target(self._prefix + path, _query(params))
        with calling(method, self.base_url + target, carrier) as span:
            for name, value in (headers or {}).items():
                lowered = name.lower()
                if lowered not in FRAMING and lowered not in carrier and \
                        (json is None or lowered != "content-type"):
                    framed.append((name, value))
            framed.extend(carrier.items())
            response = await self.transport(method, target, framed, body, read_timeout or self._timeout)
            if span is not None:
                span.set_attribute("http.response.status_code", response.status_code)
            return response

    async def get(self, path: str, *, read_timeout: float | None = None) -> UpstreamResponse:
        return await self.request("GET", path, read_timeout=read_timeout)

    async def aclose(self) -> None:
        await self.transport.aclose()


def _head(method: str, target: str, headers: Iterable[tuple[str, str]]) -> bytes:
    lines = [f"{method} {target} HTTP/1.1"]
    for name, value in headers:
        if _TOKEN.fullmatch(name) is None or "\r" in value or "\n" in value or "\0" in value:
            # A header that would end the line early could add headers, or a request, of the caller's choosing.
            raise ValueError(f"a header that cannot be sent: {name!r}")
        lines.append(f"{name}: {value}")
    lines.append("\r\n")
    return "\r\n".join(lines).encode("latin-1")


class Connections:
    """Kept-alive connections to one host, the most recently used first (the warmest, and the others age out)."""

    def __init__(self, host: str, port: int, *, connect_timeout: float, tls: bool = False,
                 max_connections: int = 200, max_idle: int = 50) -> None:
        self._host, self._port = host, port
        self._connect_timeout = connect_timeout
        self._tls = ssl.create_default_context() if tls else None
        self._max_connections, self._max_idle = max_connections, max_idle
        self._idle: list[_Connection] = []
        self._open = 0
        self._waiting: list[asyncio.Future[None]] = []

    async def __call__(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes,
                       read_timeout: float) -> UpstreamResponse:
        head = _head(method, target, headers)
        connection = await self._connection(read_timeout)
        try:
            answer = await connection.exchange(head, body, method == "HEAD", read_timeout)
        except BaseException:
            # Cut off mid-exchange (a timeout, the caller gone): what the service sends next would be read as the
            # answer to someone else's request.
            connection.close()
            self._release(connection)
            raise
        self._release(connection)
        return answer

    async def _connection(self, read_timeout: float) -> "_Connection":
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            while self._idle:
                connection = self._idle.pop()
                if not connection.closed and now - connection.idle_since < KEEP_IDLE_SECONDS:
                    return connection
                connection.close()
                self._open -= 1
            if self._open < self._max_connections:
                break
            # Every connection is busy: wait for one to come back, or to close and make room for a new one.
            waiter = loop.create_future()
            self._waiting.append(waiter)
            try:
                async with asyncio.timeout(read_timeout):
                    await waiter
            except TimeoutError as exc:
                raise PoolTimeout(f"all {self._max_connections} connections busy") from exc
            finally:
                if waiter in self._waiting:
                    self._waiting.remove(waiter)
        self._open += 1
        try:
            async with asyncio.timeout(self._connect_timeout):
                _, connection = await loop.create_connection(
                    _Connection, self._host, self._port, ssl=self._tls,
                    server_hostname=self._host if self._tls else None)
        except TimeoutError as exc:
            self._closed_one()
            raise ConnectTimeout(f"no connection to {self._host}:{self._port}") from exc
        except OSError as exc:
            self._closed_one()
            raise ConnectError(str(exc)) from exc
        except BaseException:
            self._closed_one()
            raise
        return connection

    def _release(self, connection: "_Connection") -> None:
        if connection.closed or len(self._idle) >= self._max_idle:
            connection.close()
            self._closed_one()
            return
        connection.idle_since = asyncio.get_running_loop().time()
        self._idle.append(connection)
        self._wake()

    def _closed_one(self) -> None:
        self._open -= 1
        self._wake()

    def _wake(self) -> None:
        for waiter in self._waiting:
            if not waiter.done():
                waiter.set_result(None)
                return

    async def aclose(self) -> None:
        for connection in self._idle:
            connection.close()
        self._idle.clear()


class _Answer:
    """httptools' callbacks for one answer, and the future its request awaits."""

    __slots__ = ("body", "done", "finished", "head_only", "headers", "heard", "keep_alive", "parser", "to_eof")

    def __init__(self, done: "asyncio.Future[UpstreamResponse]", head_only: bool) -> None:
        self.done = done
        self.head_only = head_only
        self.headers: dict[str, str] = {}
        self.body: list[bytes] = []
        self.parser = httptools.HttpResponseParser(self)
        self.finished = False
        self.keep_alive = False
        self.to_eof = False
        self.heard = False

    def on_message_begin(self) -> None:
        if self.finished:
            self.keep_alive = False  # a second answer to one request: the connection cannot be trusted

    def on_header(self, name: bytes, value: bytes) -> None:
        key, text = name.decode("latin-1").lower(), value.decode("latin-1")
        self.headers[key] = f"{self.headers[key]}, {text}" if key in self.headers else text

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if self.head_only or status in _NO_BODY:
            self._finish()
            return
        # Neither a length nor chunks: the body runs to the end of the connection (HTTP/1.0 style).
        self.to_eof = "content-length" not in self.headers and "transfer-encoding" not in self.headers

    def on_body(self, body: bytes) -> None:
        if not self.finished:
            self.body.append(body)

    def on_message_complete(self) -> None:
        if not self.finished:
            self._finish()

    def _finish(self) -> None:
        self.finished = True
        self.keep_alive = self.parser.should_keep_alive() and not self.to_eof
        if "content-encoding" in self.headers and self.headers["content-encoding"] != "identity":
            self.fail(RemoteProtocolError("an answer in an encoding not asked for"))
            return
        if not self.done.done():
            self.done.set_result(UpstreamResponse(self.parser.get_status_code(), self.headers, b"".join(self.body)))

    def fail(self, error: Exception) -> None:
        self.finished = True
        self.keep_alive = False
        if not self.done.done():
            self.done.set_exception(error)

    def lost(self) -> None:
        if self.to_eof and not self.finished:
            self._finish()
        self.fail(RemoteProtocolError("the service closed the connection without a whole answer"))


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.answer: _Answer | None = None
        self.closed = False
        self.idle_since = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport instances, though they are all of one.
        self.transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.answer is not None:
            self.answer.lost()

    def data_received(self, data: bytes) -> None:
        answer = self.answer
        if answer is None:
            self.close()  # bytes no request asked for
            return
        answer.heard = True
        try:
            answer.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            answer.fail(RemoteProtocolError(f"a malformed answer: {exc}"))
            self.close()

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    async def exchange(self, head: bytes, body: bytes, head_only: bool, read_timeout: float) -> UpstreamResponse:
        assert self.transport is not None
        loop = asyncio.get_running_loop()
        answer = self.answer = _Answer(loop.create_future(), head_only)
        self.transport.write(head + body if len(body) < 65536 else head)
        if len(body) >= 65536:
            self.transport.write(body)  # not copied into one buffer with the head
        # The answer's next bytes are awaited `read_timeout` seconds at most, each time (httpx's read timeout).
        quiet = loop.call_later(read_timeout, self._quiet, answer, read_timeout)
        try:
            return await answer.done
        finally:
            quiet.cancel()
            self.answer = None
            if not answer.keep_alive:
                self.close()

    def _quiet(self, answer: _Answer, read_timeout: float) -> None:
        if answer.done.done():
            return
        if answer.heard:
            answer.heard = False
            asyncio.get_running_loop().call_later(read_timeout, self._quiet, answer, read_timeout)
            return
        answer.fail(ReadTimeout(f"no answer within {read_timeout} s"))
        self.close()
