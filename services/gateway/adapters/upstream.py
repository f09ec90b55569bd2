"""Calls to the services behind the gateway: pooled clients, a breaker per upstream, retries only for reads."""

from collections.abc import Callable
from typing import Any, Protocol

from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from services.gateway.adapters.http1 import TransportError, UpstreamClient, UpstreamResponse
from services.gateway.domain import Upstream
from services.gateway.problems import Throttled
from shared.auth import IDENTITY_HEADER, Identity, IdentitySigner
from shared.breaker import CircuitBreaker
from shared.logging import get_logger
from shared.web import Problem

log = get_logger(__name__)
IDEMPOTENT = ("GET", "HEAD")
# Answers that say the upstream itself is in trouble (not the caller): they count against its breaker.
UPSTREAM_TROUBLE = (502, 503, 504)
READS_RETRIED_ON = retry_if_exception_type(TransportError)
CONNECT_SECONDS = 2.0


def upstream_client(base_url: str, timeout: float) -> UpstreamClient:
    """A pooled client to one upstream: `timeout` for each wait on its answer, 2 s to connect."""
    return UpstreamClient(base_url, read_timeout=timeout, connect_timeout=CONNECT_SECONDS, max_connections=200,
                          max_idle=50)


class UpstreamPool(Protocol):
    """What a call needs: the pooled clients, their breakers, a clock, and the key that signs identities."""

    @property
    def upstreams(self) -> dict[Upstream, UpstreamClient]: ...

    @property
    def signer(self) -> IdentitySigner: ...

    @property
    def clock(self) -> Callable[[], float]: ...

    def breaker(self, upstream: str) -> CircuitBreaker: ...


def unavailable(upstream: str, retry_after: float | None = None) -> Problem:
    detail = f"The {upstream} service is unavailable; the rest of the portal still works."
    if retry_after is not None:
        return Throttled(503, "upstream-unavailable", detail, retry_after, upstream=upstream)
    return Problem(503, "upstream-unavailable", detail, upstream=upstream)


async def call_upstream(deps: UpstreamPool, upstream: Upstream, method: str, path: str, *, params: Any = None,
                        headers: dict[str, str] | None = None, content: bytes | None = None,
                        json: Any = None) -> UpstreamResponse:
    """One call through the upstream's breaker; reads are retried on transport errors, writes never are."""
    breaker = deps.breaker(upstream)
    if not breaker.allow():
        raise unavailable(upstream, max(1.0, breaker.retry_in()))
    client = deps.upstreams[upstream]
    try:
        response: UpstreamResponse
        if method in IDEMPOTENT:
            retrying = AsyncRetrying(stop=stop_after_attempt(3), reraise=True, retry=READS_RETRIED_ON,
                                     wait=wait_exponential(multiplier=0.05, exp_base=2, min=0.1))
            response = await retrying(client.request, method, path, params=params, headers=headers,
                                      content=content, json=json)
        else:
            # A write might have landed before the connection broke: it is sent once, never again.
            response = await client.request(method, path, params=params, headers=headers, content=content,
                                            json=json)
    except TransportError as exc:
        breaker.failed()
        log.warning("upstream_unavailable", upstream=upstream, error=type(exc).__name__, breaker=breaker.state)
        raise unavailable(upstream) from exc
    if response.status_code in UPSTREAM_TROUBLE and not shedding_load(response):
        breaker.failed()
    else:
        breaker.succeeded()
    return response


def shedding_load(response: UpstreamResponse) -> bool:
    """A 503 with Retry-After is an upstream that answers, turning work away for a moment (its database busy): it
    is passed on as it is, and cutting the upstream off would refuse its reads and replayed submissions as well."""
    return response.status_code == 503 and "retry-after" in response.headers


def signed_headers(identity: Identity | None, deps: UpstreamPool,
                   extra: dict[str, str] | None = None) -> dict[str, str]:
    headers = dict(extra or {})
    if identity is not None:
        headers[IDENTITY_HEADER] = deps.signer.sign(identity)
    return headers


async def upstream_ready(client: UpstreamClient) -> bool:
    response = await client.get("/readyz", read_timeout=2.0)
    return response.status_code == 200
