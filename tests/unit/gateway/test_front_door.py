"""What the front door adds to every answer, whatever the app behind it already set."""

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.gateway.front_door import FrontDoor


async def forwarded(_: Request) -> Response:
    """An answer as a service behind the gateway gives it: cacheable, in its own words."""
    return Response(b"{}", headers={"cache-control": "public, max-age=60", "content-type": "application/json"})


def front_door() -> FrontDoor:
    return FrontDoor(Starlette(routes=[Route("/api/v1/requests", forwarded, methods=["GET", "POST"])]),
                     max_body_bytes=1024)


async def call(method: str, headers: dict[str, str], body: bytes = b"") -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=front_door()), base_url="http://portal") as client:
        return await client.request(method, "/api/v1/requests", headers=headers, content=body)


@pytest.mark.parametrize("credentials", [{"authorization": "Bearer t"}, {"cookie": "portal_session=s"}])
async def test_a_signed_in_caller_s_answer_may_not_be_kept_even_when_the_service_said_it_could(
        credentials: dict[str, str]) -> None:
    response = await call("GET", credentials)

    assert response.headers.get_list("cache-control") == ["no-store"]
    assert response.headers["content-type"] == "application/json"


async def test_an_anonymous_caller_s_answer_keeps_the_service_s_caching() -> None:
    response = await call("GET", {})

    assert response.headers.get_list("cache-control") == ["public, max-age=60"]


async def test_a_body_declared_larger_than_the_limit_is_refused_whatever_credentials_come_with_it() -> None:
    response = await call("POST", {"authorization": "Bearer t"}, b"x" * 2048)

    assert (response.status_code, response.json()["code"]) == (413, "body-too-large")
