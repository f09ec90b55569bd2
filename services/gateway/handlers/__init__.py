"""The gateway's handlers, by concept: who is calling, the upstreams, live tracking, the dashboard.

The calls to upstreams and the problems they raise are the adapters' own; they are named here too because every
page and route that reaches a service goes through them.
"""

from services.gateway.adapters.dev_identity import DevSignIn
from services.gateway.adapters.upstream import call_upstream, signed_headers
from services.gateway.handlers.auth import (
    API_KEY_PREFIX,
    authenticate,
    issue_dev_token,
    issued_by,
    limit_address,
    limit_route,
    sign_out,
)
from services.gateway.handlers.contract import PublicContract, public_openapi
from services.gateway.handlers.dashboard import Learned, dashboard, learned_suggestions
from services.gateway.handlers.deps import Deps, Limits
from services.gateway.handlers.live import live_updates, owned_request, relay_status_changed
from services.gateway.handlers.upstream import Forwarded, forward, read_json, search_services
from services.gateway.problems import Throttled

__all__ = ["API_KEY_PREFIX", "Deps", "DevSignIn", "Forwarded", "Learned", "Limits", "PublicContract", "Throttled",
           "authenticate", "call_upstream", "dashboard", "forward", "issue_dev_token", "issued_by",
           "learned_suggestions", "limit_address", "limit_route", "live_updates", "owned_request", "public_openapi",
           "read_json", "relay_status_changed", "search_services", "sign_out", "signed_headers"]
