import asyncio
import contextlib
import hashlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from fastapi import Depends, FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.gateway.adapters.dev_identity import DevIdentityProvider
from services.gateway.adapters.live_hub import LiveHub
from services.gateway.adapters.oidc import Endpoints, OidcProvider, OidcVerifier
from services.gateway.adapters.oidc_flow import AuthorizationCodeFlow, OidcClient
from services.gateway.adapters.upstream import upstream_client, upstream_ready
from services.gateway.api import FORWARDED_METHODS, forward, route_limit, router
from services.gateway.config import Settings
from services.gateway.domain import ClaimRules, RateLimiter, Upstream
from services.gateway.front_door import FrontDoor
from services.gateway.handlers import Deps, Limits, PublicContract, relay_status_changed
from services.gateway.open311 import open311_errors
from services.gateway.open311 import router as open311_router
from services.gateway.problems import Throttled
from services.gateway.store import MIGRATIONS, ApiKeyCache, RecentlyAskedSignedOutSessions, SqlSignedOutSessions
from services.gateway.ui import PageProblem, Pages, ui_routers
from services.gateway.workspace import workspace_routers
from shared.auth import IdentitySigner
from shared.bus import Bus, Consumer, Delivery, connect_bus
from shared.bus.topology import QueueSpec
from shared.contracts.asyncapi import asyncapi_document
from shared.db import engine_for
from shared.db.migrate import upgrade
from shared.logging import configure_logging, get_logger
from shared.web import NO_FASTAPI_TELEMETRY, Problem, Readiness, ReadinessCheck, install_plumbing

SERVICE = "gateway"
TITLE = "Unified Government Services Portal"
VERSION = "1"
HERE = Path(__file__).parent
log = get_logger(__name__)


def live_queue() -> QueueSpec:
    """This replica's own queue of status changes: exclusive and auto-deleted with the replica's connection, and
    bound only to the requests watched here while they are (LiveHub): hearing every status change of every citizen
    cost each replica about a quarter of its CPU under submissions, and each added replica as much again.

    A slow replica drops its oldest updates (drop-head) rather than refuse the requests service's publishes. They
    are consumed without acks: an ack per status change was a tenth of the gateway's CPU under submissions, and an
    update lost with a crashed replica is lost with its streams too, whose pages reconnect to the current state.
    """
    return QueueSpec(f"gateway.live.{uuid.uuid4().hex[:12]}", dead_letters=False, exclusive=True,
                     extra_arguments={"x-overflow": "drop-head"})


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(SERVICE, settings.log_level)
    bases: dict[Upstream, str] = {"catalog": settings.catalog_url, "search": settings.search_url,
                                  "requests": settings.requests_url, "notifications": settings.notifications_url}
    upstreams = {name: upstream_client(url, settings.upstream_timeout_seconds) for name, url in bases.items()}
    idp_http = httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=3.0))
    oidc = staff_oidc = None
    if settings.oidc_issuer and (settings.oidc_audience or settings.oidc_client_id):
        oidc = OidcVerifier(OidcProvider(settings.oidc_issuer, idp_http, Endpoints(
            settings.oidc_authorize_url, settings.oidc_token_url, settings.oidc_jwks_url,
            settings.oidc_end_session_url), settings.oidc_discovery_refresh_seconds),
            settings.oidc_audience or settings.oidc_client_id or "")
    if settings.oidc_staff_issuer and (settings.oidc_staff_audience or settings.oidc_staff_client_id):
        staff_oidc = OidcVerifier(OidcProvider(settings.oidc_staff_issuer, idp_http, Endpoints(
            jwks=settings.oidc_staff_jwks_url), settings.oidc_discovery_refresh_seconds),
            settings.oidc_staff_audience or settings.oidc_staff_client_id or "")
    rate_limits = Limits(address=RateLimiter(settings.rate_per_address, settings.burst_per_address),
                         citizen=RateLimiter(settings.rate_per_citizen, settings.burst_per_citizen),
                         api_key=RateLimiter(settings.rate_per_api_key, settings.burst_per_api_key),
                         routes={"sign_in": RateLimiter(settings.rate_sign_in, settings.burst_sign_in),
                                 "search": RateLimiter(settings.rate_search, settings.burst_search),
                                 "submit": RateLimiter(settings.rate_submit, settings.burst_submit)})
    deps = Deps(signer=IdentitySigner(settings.identity_private_key), upstreams=upstreams,
                api_keys=ApiKeyCache(), dev_idp=DevIdentityProvider() if settings.dev_auth else None, oidc=oidc,
                max_body_bytes=settings.max_body_bytes, limits=rate_limits, live=LiveHub(),
                bus_contract=asyncapi_document(settings.broker_public_host),
                breaker_threshold=settings.breaker_threshold, breaker_open_seconds=settings.breaker_open_seconds,
                staff_oidc=staff_oidc, claims=ClaimRules(settings.oidc_civil_number_claim,
                                                         settings.oidc_staff_role_claim,
                                                         settings.oidc_staff_ministry_claim, settings.oidc_staff_roles))
    engine = engine_for(settings.database_url) if settings.database_url else None
    if engine is not None:
        shared = SqlSignedOutSessions(engine)
        deps.signed_out = shared if settings.signed_out_recheck_seconds <= 0 else RecentlyAskedSignedOutSessions(
            shared, settings.signed_out_recheck_seconds, clock=lambda: deps.clock())
    csrf_secret = settings.csrf_secret.get_secret_value().encode() if settings.csrf_secret else \
        hashlib.sha256(b"portal-csrf:" + settings.identity_private_key.encode()).digest()
    if oidc is not None and settings.oidc_client_id and settings.oidc_redirect_url:
        secret = settings.oidc_client_secret.get_secret_value() if settings.oidc_client_secret else None
        site = urlsplit(settings.oidc_redirect_url)
        deps.sign_in_flow = AuthorizationCodeFlow(
            OidcClient(settings.oidc_client_id, secret, settings.oidc_redirect_url,
                       settings.oidc_post_logout_redirect_url or f"{site.scheme}://{site.netloc}/"),
            oidc, csrf_secret, idp_http)
    if staff_oidc is not None and settings.oidc_staff_client_id and settings.oidc_staff_redirect_url:
        secret = settings.oidc_staff_client_secret.get_secret_value() if settings.oidc_staff_client_secret else None
        site = urlsplit(settings.oidc_staff_redirect_url)
        deps.staff_sign_in_flow = AuthorizationCodeFlow(
            OidcClient(settings.oidc_staff_client_id, secret, settings.oidc_staff_redirect_url,
                       f"{site.scheme}://{site.netloc}/workspace/sign-in"), staff_oidc, csrf_secret, idp_http)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if deps.dev_idp is not None:
            log.warning("development_sign_in_enabled")
        if settings.database_url and settings.migrate_on_start:
            await upgrade(MIGRATIONS, settings.database_url)
        elif not settings.database_url:
            log.warning("sign_out_kept_by_this_replica_only", reason="no database configured")
        bus: Bus | None = None
        consumer: Consumer | None = None
        if settings.amqp_url:
            async def relay(message: Delivery) -> None:
                await relay_status_changed(message, deps)

            try:
                bus = connect_bus(settings.amqp_url, name=SERVICE)
                async with asyncio.timeout(20):
                    await bus.start()
                    await bus.declare([])
                    consumer = await bus.consume(live_queue(), relay, prefetch=64, acknowledged=False)
                    deps.live.listen_through(consumer)
                log.info("live_tracking_started")
            except Exception as exc:
                log.warning("live_tracking_unavailable", error=type(exc).__name__)
        else:
            log.warning("live_tracking_off", reason="no broker configured")
        app.state.bus = bus
        yield
        if consumer is not None:
            with contextlib.suppress(Exception):
                await consumer.cancel()
        if bus is not None:
            with contextlib.suppress(Exception):
                await bus.close()
        for client in upstreams.values():
            await client.aclose()
        await idp_http.aclose()
        if engine is not None:
            await engine.dispose()

    def check(name: Upstream) -> ReadinessCheck:
        return lambda: upstream_ready(deps.upstreams[name])

    async def live_tracking() -> bool:
        bus: Bus | None = app.state.bus
        return bus is not None and await bus.is_ready()

    # /openapi.json is the public contract (api.py); FastAPI's own document is only its gateway-served part, and
    # its /docs would load Swagger UI from a CDN, which the pages' CSP forbids.
    app = FastAPI(title=TITLE, version=VERSION, lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None,
                  telemetry=NO_FASTAPI_TELEMETRY)
    discovery = f"{settings.oidc_issuer.rstrip('/')}/.well-known/openid-configuration" if settings.oidc_issuer else None
    app.state.contract = PublicContract(app.openapi, TITLE, VERSION, discovery,
                                        settings.openapi_refresh_seconds)
    app.state.deps = deps
    app.state.bus = None
    pages = app.state.pages = Pages(HERE / "templates", csrf_secret, deps)
    # The gateway serves its own pages, sign-in and every route whose backend answers: a backend or the broker
    # being down is detail (and 503 naming it on its routes), never a reason to take this pod out of service.
    dependencies: dict[str, ReadinessCheck] = {name: check(name) for name in upstreams}
    if settings.amqp_url:
        dependencies["bus"] = live_tracking
    # The public door: its port never serves /metrics (`portal serve gateway --metrics-port`).
    install_plumbing(app, SERVICE, Readiness(dependencies=dependencies), metrics=False)
    # Pages get accessible error pages; API paths keep their problem documents (with Retry-After when due).
    # Open311's paths answer with the specification's error list instead.
    for error in (Problem, Throttled, PageProblem, StarletteHTTPException, Exception):
        app.add_exception_handler(error, open311_errors(pages.on_error))
    app.add_exception_handler(RequestValidationError,
                              open311_errors(app.exception_handlers[RequestValidationError]))  # type: ignore[arg-type]
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    # The API first: every request is matched against the routes in turn (by Starlette, and again by OpenTelemetry
    # for its span's name, sampled or not), and the API's catch-all behind the 60 page routes cost the forwarded
    # calls some 120 route matches each. No page route lies under /api/ or /open-data/, so the order changes no match.
    # Every route takes its route limit (route_limit): as a dependency, or, for the forwarded calls that are most of
    # the traffic, first thing in `forward`. Those sit on the app itself, behind the API's own routes: an included
    # router is matched twice per request, and solving a dependency cost more than the limit's own check.
    limited = [Depends(route_limit)]
    app.include_router(router, dependencies=limited)
    app.add_api_route("/api/v1/{rest:path}", forward, methods=FORWARDED_METHODS, include_in_schema=False)
    app.add_api_route("/open-data/{rest:path}", forward, methods=["GET"], include_in_schema=False)
    for pages_router in (*ui_routers, *workspace_routers):
        app.include_router(pages_router, dependencies=limited)
    app.include_router(open311_router, dependencies=limited)
    app.add_middleware(FrontDoor, max_body_bytes=settings.max_body_bytes)
    return app
