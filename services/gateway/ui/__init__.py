"""The citizen web UI, server-rendered by the gateway: Arabic right-to-left first, English on every page."""

from services.gateway.ui.pages import PageProblem, Pages
from services.gateway.ui.routes import ui_routers

__all__ = ["PageProblem", "Pages", "ui_routers"]
