import httpx
from fastapi import FastAPI, HTTPException
from prometheus_client import REGISTRY

from shared.web import Readiness, install_plumbing


def served(route: str, status: str) -> float:
    return REGISTRY.get_sample_value("portal_http_requests_total", {"service": "counted", "method": "GET",
                                                                    "route": route, "status": status}) or 0.0


def timed(route: str) -> float:
    return REGISTRY.get_sample_value("portal_http_request_seconds_count", {"service": "counted", "method": "GET",
                                                                           "route": route}) or 0.0


async def test_each_request_is_counted_and_timed_under_its_route_and_status() -> None:
    app = FastAPI()
    install_plumbing(app, "counted", Readiness())

    @app.get("/licences/{number}")
    async def licence(number: str) -> dict[str, str]:
        if number == "0":
            raise HTTPException(404)
        return {"number": number}

    before = (served("/licences/{number}", "200"), served("/licences/{number}", "404"), timed("/licences/{number}"),
              served("unmatched", "404"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://portal") as client:
        for path in ("/licences/1", "/licences/2", "/licences/0", "/licences/3", "/nowhere"):
            await client.get(path)

    after = (served("/licences/{number}", "200"), served("/licences/{number}", "404"), timed("/licences/{number}"),
             served("unmatched", "404"))
    assert [a - b for a, b in zip(after, before, strict=True)] == [3, 1, 4, 1]
