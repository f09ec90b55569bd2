"""The checks every request meets before any route: a path no route may see, and answers no one may keep."""

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.gateway.domain import refused_path
from shared.web import Problem
from shared.web.problems import problem_response


class FrontDoor:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if refused_path(scope.get("path", ""), scope.get("raw_path", b"").decode("latin-1")):
            problem = Problem(404, "not-found", "There is no such path.")
            await problem_response(problem)(scope, receive, send)
            return
        if not _personal(scope):
            await self.app(scope, receive, send)
            return

        async def no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, no_store)


def _personal(scope: Scope) -> bool:
    """A caller with credentials gets their own data (or a token): no browser or proxy may keep a copy."""
    path: str = scope.get("path", "")
    if path.startswith("/static/"):
        return False
    headers = Headers(scope=scope)
    return "authorization" in headers or "cookie" in headers or path.startswith("/api/v1/auth/")
