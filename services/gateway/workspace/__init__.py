"""The ministry workspace: staff handle requests, design forms and answer the readiness survey in the browser."""

from services.gateway.workspace.routes import workspace_routers

__all__ = ["workspace_routers"]
