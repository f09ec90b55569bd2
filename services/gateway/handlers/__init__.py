"""The gateway's handlers, by concept: who is calling, the upstreams, live tracking, the dashboard."""

from services.gateway.handlers.auth import (
    API_KEY_PREFIX,
    DevIdentityProvider,
    DevSignIn,
    OidcVerifier,
    Throttled,
    authenticate,
    issue_dev_token,
    limit_address,
)
from services.gateway.handlers.dashboard import dashboard
from services.gateway.handlers.deps import Deps, Limits
from services.gateway.handlers.live import LiveHub, live_updates, owned_request, relay_status_changed
from services.gateway.handlers.oidc_flow import AuthorizationCodeFlow, OidcClient, SignedIn
from services.gateway.handlers.upstream import (
    Forwarded,
    call_upstream,
    forward,
    read_json,
    search_services,
    signed_headers,
    upstream_ready,
)

__all__ = ["API_KEY_PREFIX", "AuthorizationCodeFlow", "Deps", "DevIdentityProvider", "DevSignIn", "Forwarded",
           "Limits", "LiveHub", "OidcClient", "OidcVerifier", "SignedIn", "Throttled", "authenticate",
           "call_upstream", "dashboard", "forward", "issue_dev_token", "limit_address", "live_updates",
           "owned_request", "read_json", "relay_status_changed", "search_services", "signed_headers",
           "upstream_ready"]
