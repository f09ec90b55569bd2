"""Every workspace route, under /workspace/."""

from fastapi import APIRouter

from services.gateway.workspace.routes import insights, queue, reports, request_page, services, sign_in

workspace_router = APIRouter()
for module in (sign_in, queue, request_page, services, reports, insights):
    workspace_router.include_router(module.router)
