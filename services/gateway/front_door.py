"""The checks every request meets before any route: a path no route may see, and answers no one may keep."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.gateway.domain import refused_path
from shared.web import Problem
from shared.web.ops import set_header
from shared.web.problems import problem_response


def too_large(limit: int) -> Problem:
    return Problem(413, "body-too-large", f"Requests are limited to {limit} bytes.")


class FrontDoor:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if refused_path(scope.get("path", ""), scope.get("raw_path", b"").decode("latin-1")):
            problem = Problem(404, "not-found", "There is no such path.")
            await problem_response(problem)(scope, receive, send)
            return
        declared, credentials = _read(scope)
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            await problem_response(too_large(self.max_body_bytes))(scope, receive, send)
            return
        if not declared and scope.get("method") in ("POST", "PUT", "PATCH", "DELETE"):
            bounded = await self._bounded(scope, receive)
            if bounded is None:
                await problem_response(too_large(self.max_body_bytes))(scope, receive, send)
                return
            receive = bounded
        if not _personal(scope, credentials):
            await self.app(scope, receive, send)
            return

        async def no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                set_header(message, b"cache-control", b"no-store")
            await send(message)

        await self.app(scope, receive, no_store)


    async def _bounded(self, scope: Scope, receive: Receive) -> Receive | None:
        """A body sent without a length (chunked) is read here up to the limit and no further: past it, None (the
        caller answers 413); within it, a receive that hands the app the body read."""
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return receive
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            more = bool(message.get("more_body", False))
        pending: list[Message] = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

        async def replay() -> Message:
            return pending.pop() if pending else await receive()

        return replay


def _read(scope: Scope) -> tuple[str, bool]:
    """The declared body length (the first one given, "" for none) and whether the caller sent credentials (an
    Authorization header or a cookie), in one pass over the headers instead of one per question."""
    declared: str | None = None
    credentials = False
    for name, value in scope["headers"]:
        if name == b"content-length":
            if declared is None:
                declared = value.decode("latin-1")
        elif name in (b"authorization", b"cookie"):
            credentials = True
    return declared or "", credentials


def _personal(scope: Scope, credentials: bool) -> bool:
    """A caller with credentials gets their own data (or a token): no browser or proxy may keep a copy."""
    path: str = scope.get("path", "")
    if path.startswith("/static/"):
        return False
    return credentials or path.startswith("/api/v1/auth/")
