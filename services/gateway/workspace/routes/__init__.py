"""Every workspace route, under /workspace/."""

from fastapi import APIRouter

from services.gateway.workspace.routes import insights, queue, reports, request_page, services, sign_in

# Included on the app side by side, not under one router: FastAPI matches a request again at each level of nesting.
workspace_routers: tuple[APIRouter, ...] = tuple(module.router for module in (sign_in, queue, request_page, services,
                                                                               reports, insights))
