"""The gateway's clients to the services behind it, answered in the test by an httpx handler instead of a socket."""

import inspect
from collections.abc import Awaitable, Callable

import httpx

from services.gateway.adapters.http1 import ConnectError, TransportError, UpstreamClient, UpstreamResponse

Handler = Callable[[httpx.Request], httpx.Response | Awaitable[httpx.Response]]


class HandlerTransport:
    """Hands each request, as the client framed it, to `handler` (the shape httpx.MockTransport takes)."""

    def __init__(self, handler: Handler, base_url: str) -> None:
        self.handler = handler
        self.base_url = base_url.rstrip("/")

    async def __call__(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes,
                       read_timeout: float) -> UpstreamResponse:
        request = httpx.Request(method, self.base_url + target, headers=headers, content=body)
        try:
            answered = self.handler(request)
            response = await answered if inspect.isawaitable(answered) else answered
        except httpx.ConnectError as exc:
            raise ConnectError(str(exc)) from exc
        except httpx.TransportError as exc:
            raise TransportError(str(exc)) from exc
        await response.aread()
        return UpstreamResponse(response.status_code, dict(response.headers.items()), response.content)

    async def aclose(self) -> None:
        pass


def mocked(handler: Handler, base_url: str) -> UpstreamClient:
    return UpstreamClient(base_url, read_timeout=10.0, connect_timeout=2.0,
                          transport=HandlerTransport(handler, base_url))
