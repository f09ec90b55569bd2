"""The checks every request meets before any route: a path no route may see, and a body past the limit."""

from starlette.types import ASGIApp, Receive, Scope, Send

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
        path: str = scope.get("path", "")
        if refused_path(path, scope.get("raw_path", b"").decode("latin-1")):
            problem = Problem(404, "not-found", "There is no such path.")
            await problem_response(problem)(scope, receive, send)
            return
        await self.app(scope, receive, send)
