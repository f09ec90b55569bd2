"""What the gateway sends a service behind it, over a real connection (its own pooled clients, not the fakes)."""

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.gateway.app import create_app
from services.gateway.config import Settings
from shared.auth import IDENTITY_HEADER, IdentityVerifier
from tests.unit.gateway.test_live import free_port, served

SUBMISSION = {"service": "renew-driving-licence", "fields": {"licence_number": "DL12345"}}


class RequestsService:
    """The requests service as the wire shows it: what each call brought, and a cookie set on every answer."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    def app(self) -> Starlette:
        async def submit(request: Request) -> Response:
            self.seen.append({"headers": dict(request.headers), "body": await request.json()})
            response = JSONResponse({"tracking_number": "ROP-2026-000001-X"}, status_code=201,
                                    headers={"Location": "/api/v1/requests/ROP-2026-000001-X"})
            response.set_cookie("upstream_session", f"for-call-{len(self.seen)}")
            return response

        return Starlette(routes=[Route("/api/v1/requests", submit, methods=["POST"])])


@contextlib.asynccontextmanager
async def gateway_before(requests_url: str, keypair: tuple[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(identity_private_key=keypair[0], dev_auth=True, requests_url=requests_url))
    async with (LifespanManager(app, startup_timeout=30, shutdown_timeout=30),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client):
        yield client


async def citizen(gateway: httpx.AsyncClient, national_id: str) -> dict[str, str]:
    token = (await gateway.post("/api/v1/auth/dev-token", json={"national_id": national_id, "name": "Aisha"})
             ).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


async def test_a_submission_reaches_the_requests_service_with_its_body_the_citizens_identity_and_the_trace(
        keypair: tuple[str, str]) -> None:
    service = RequestsService()
    trace_id = secrets.token_hex(16)
    async with served(service.app()) as url, gateway_before(url, keypair) as gateway:
        headers = await citizen(gateway, "12345678") | {"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"}
        response = await gateway.post("/api/v1/requests", headers=headers, json=SUBMISSION)
    assert response.status_code == 201
    assert response.json() == {"tracking_number": "ROP-2026-000001-X"}
    assert response.headers["location"] == "/api/v1/requests/ROP-2026-000001-X"
    [call] = service.seen
    assert call["body"] == SUBMISSION
    assert IdentityVerifier(keypair[1]).verify(call["headers"][IDENTITY_HEADER]).subject == "12345678"
    assert call["headers"]["traceparent"].split("-")[1] == trace_id
    assert "authorization" not in call["headers"]


async def test_a_cookie_a_service_set_for_one_citizens_call_never_rides_along_on_the_next_call(
        keypair: tuple[str, str]) -> None:
    service = RequestsService()
    async with served(service.app()) as url, gateway_before(url, keypair) as gateway:
        first, second = await citizen(gateway, "12345678"), await citizen(gateway, "87654321")
        assert (await gateway.post("/api/v1/requests", headers=first, json=SUBMISSION)).status_code == 201
        assert (await gateway.post("/api/v1/requests", headers=second, json=SUBMISSION)).status_code == 201
    assert [call["headers"].get("cookie") for call in service.seen] == [None, None]


async def test_a_service_that_does_not_answer_makes_its_routes_answer_503_naming_it(
        keypair: tuple[str, str]) -> None:
    async with gateway_before(f"http://127.0.0.1:{free_port()}", keypair) as gateway:
        response = await gateway.post("/api/v1/requests", headers=await citizen(gateway, "12345678"),
                                      json=SUBMISSION)
    assert response.status_code == 503
    assert (response.json()["code"], response.json()["upstream"]) == ("upstream-unavailable", "requests")


async def test_a_submission_whose_connection_breaks_before_the_answer_is_sent_once_never_again(
        keypair: tuple[str, str]) -> None:
    """It may have been stored before the connection broke: sending it again could make the request twice."""
    received: list[bytes] = []

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await reader.readuntil(b"\r\n\r\n"))
        writer.close()

    port = free_port()
    server = await asyncio.start_server(hang_up, "127.0.0.1", port)
    async with server, gateway_before(f"http://127.0.0.1:{port}", keypair) as gateway:
        response = await gateway.post("/api/v1/requests", headers=await citizen(gateway, "12345678"),
                                      json=SUBMISSION)
    assert response.status_code == 503
    assert len(received) == 1
