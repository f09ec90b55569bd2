"""Workspace pages: the citizen UI's renderer (base.html, CSRF, language) with the workspace's words and menu."""

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from services.gateway.ui.i18n import workspace_words
from services.gateway.ui.pages import Pages, lang_of
from services.gateway.workspace.access import Refused, staff_identity
from services.gateway.workspace.staff import ADMINS, DESIGN_READERS, MOVERS, READERS
from shared.auth import Identity


def menu(identity: Identity | None) -> list[tuple[str, str]]:
    if identity is None:
        return []
    items = [("/workspace/", "queue")] if identity.role in READERS else []
    if identity.role in DESIGN_READERS:
        items.append(("/workspace/services", "services"))
    items.append(("/workspace/workload", "workload"))
    if identity.role in ADMINS:
        items += [("/workspace/admin/onboarding", "onboarding"), ("/workspace/admin/readiness", "priorities"),
                  ("/workspace/admin/insights", "insights")]
    return items


def render(request: Request, pages: Pages, template: str, context: dict[str, Any], identity: Identity | None,
           status: int = 200, page_path: str | None = None) -> Response:
    """`page_path`: the page a form re-rendered after a POST belongs to, so the language link opens it."""
    lang = lang_of(request)
    base: dict[str, Any] = {"translations": workspace_words()[lang], "staff": identity, "menu": menu(identity),
                            "can_move": identity is not None and identity.role in MOVERS}
    if page_path is not None:
        base["switch_url"] = f"{page_path}?lang={'en' if lang == 'ar' else 'ar'}"
    return pages.render(request, f"workspace/{template}", base | context, status=status)


async def refusal(request: Request, exc: Refused) -> Response:
    pages: Pages = request.app.state.pages
    try:
        identity = await staff_identity(request, pages)
    except Refused:
        identity = None
    return render(request, pages, "error.html", {"status": exc.status, "key": exc.key, "upstream": exc.upstream},
                  identity, status=exc.status)


class WorkspaceRoute(APIRoute):
    """Every workspace route answers a refusal (403, 404, a conflict…) with a page in the staff's language."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except Refused as exc:
                return await refusal(request, exc)

        return handler
