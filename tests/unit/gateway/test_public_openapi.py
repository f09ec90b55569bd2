"""The gateway's /openapi.json against its routing table: everything it forwards is documented, nothing more."""

import importlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from openapi_spec_validator import validate

from services.gateway.adapters.http1 import UpstreamClient
from services.gateway.api import FORWARDED_METHODS
from services.gateway.app import create_app
from services.gateway.config import Settings
from services.gateway.contract import PROBLEM_JSON, documented_operations
from services.gateway.domain import ROUTES, route_for
from tests.unit.gateway.upstreams import mocked

UPSTREAMS = ("catalog", "search", "requests", "notifications")
SYSTEM_PATHS = ("/healthz", "/readyz", "/metrics", "/internal/")


def service_document(name: str, public_key: str, tmp: Path) -> dict[str, Any]:
    """What the service itself serves at /openapi.json (its app, built but not started)."""
    app_module = importlib.import_module(f"services.{name}.app")
    config = importlib.import_module(f"services.{name}.config")
    settings = config.Settings(database_url=f"sqlite+aiosqlite:///{tmp / name}.db", amqp_url="memory://openapi",
                               identity_public_key=public_key)
    app: FastAPI = app_module.create_app(settings)
    document: dict[str, Any] = app.openapi()
    return document


@pytest.fixture(scope="module")
def services(keypair: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("openapi")
    return {name: service_document(name, keypair[1], tmp) for name in UPSTREAMS}


def serving(name: str, document: dict[str, Any]) -> UpstreamClient:
    async def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/openapi.json":
            return httpx.Response(200, json=document)
        return httpx.Response(404, json={"code": "not-found"})

    return mocked(handle, f"http://{name}")


@pytest.fixture
async def gateway(keypair: tuple[str, str], services: dict[str, dict[str, Any]]) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(identity_private_key=keypair[0], dev_auth=True,
                              oidc_issuer="https://idp.example.om/realms/citizens", oidc_client_id="portal"))
    app.state.deps.upstreams = {name: serving(name, services[name]) for name in UPSTREAMS}
    async with (LifespanManager(app, startup_timeout=30, shutdown_timeout=30),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client):
        client.app = app  # type: ignore[attr-defined]
        yield client


@pytest.fixture
async def document(gateway: httpx.AsyncClient) -> dict[str, Any]:
    response = await gateway.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def gateway_own_paths(gateway: httpx.AsyncClient) -> set[str]:
    app: FastAPI = gateway.app  # type: ignore[attr-defined]
    return set(app.openapi()["paths"])


async def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"] == "3.1.0"
    validate(document)


async def test_every_route_the_gateway_forwards_is_documented(document: dict[str, Any]) -> None:
    documented = {route_for(path) for path in document["paths"]}
    missing = [route.prefix for route in ROUTES if route not in documented]
    assert missing == [], f"forwarded but not in /openapi.json: {missing}"


async def test_every_documented_operation_is_one_the_gateway_forwards_or_serves_itself(
        gateway: httpx.AsyncClient, document: dict[str, Any]) -> None:
    own = gateway_own_paths(gateway)
    unserved = []
    for method, path in documented_operations(document):
        if path in own:
            continue
        forwarded = FORWARDED_METHODS if path.startswith("/api/v1/") else ["GET"]
        if route_for(path) is None or method not in forwarded:
            unserved.append(f"{method} {path}")
    assert unserved == [], f"documented but nothing serves them: {unserved}"


async def test_every_public_operation_of_every_service_is_forwarded_and_documented(
        services: dict[str, dict[str, Any]], document: dict[str, Any]) -> None:
    shown = documented_operations(document)
    for name, service in services.items():
        for method, path in documented_operations(service):
            if path.startswith(SYSTEM_PATHS):
                continue
            route = route_for(path)
            assert route is not None and route.upstream == name, (
                f"{name} serves {method} {path} but the gateway forwards it nowhere: add it to domain.ROUTES, or "
                "move it under /internal/ if it is not public")
            assert (method, path) in shown


async def test_the_gateway_documents_its_own_public_operations(gateway: httpx.AsyncClient,
                                                               document: dict[str, Any]) -> None:
    assert gateway_own_paths(gateway) <= set(document["paths"])
    assert {"/api/v1/auth/dev-token", "/api/v1/me/dashboard", "/api/v1/requests/{tracking_number}/events"} <= \
        set(document["paths"])


async def test_the_open311_facade_is_public_with_its_error_list_in_json_and_xml(document: dict[str, Any]) -> None:
    open311 = {path: item for path, item in document["paths"].items() if path.startswith("/open311/v2/")}

    assert set(open311) == {"/open311/v2/discovery.json", "/open311/v2/services.{format}",
                            "/open311/v2/services/{service_code}.{format}", "/open311/v2/requests.{format}",
                            "/open311/v2/requests/{service_request_id}.{format}"}
    assert set(open311["/open311/v2/requests.{format}"]) == {"get", "post"}
    assert open311["/open311/v2/services.{format}"]["get"]["security"] == []
    assert open311["/open311/v2/requests.{format}"]["post"]["security"] != []
    errors = open311["/open311/v2/requests/{service_request_id}.{format}"]["get"]["responses"]["404"]["content"]
    assert {"application/json", "text/xml"} <= set(errors)


async def test_internal_and_system_routes_stay_out(document: dict[str, Any]) -> None:
    assert [p for p in document["paths"] if p.startswith(SYSTEM_PATHS) or p.startswith(("/workspace", "/static"))] \
        == []


async def test_every_operation_names_its_security_and_answers_errors_as_problem_documents(
        document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert {"bearer", "ministryApiKey", "nationalIdentity"} <= set(schemes)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            route = route_for(path)
            signed_in = operation["security"] != []
            if route is not None:
                assert signed_in == (route.access == "signed_in"), f"{method} {path}"
            codes = set(operation["responses"])
            assert {"404", "422", "429", "503"} <= codes, f"{method} {path}"
            if signed_in:
                assert {"401", "403"} <= codes, f"{method} {path}"
            if method in ("post", "put"):
                assert "413" in codes, f"{method} {path}"
            for code, response in operation["responses"].items():
                if code[0] in "45":
                    assert PROBLEM_JSON in response["content"], f"{method} {path} {code}"
    ministry = document["paths"]["/api/v1/ministry/services"]["post"]["security"]
    assert {"ministryApiKey": []} in ministry


async def test_the_document_is_answered_while_a_service_is_down_once_it_was_assembled(
        gateway: httpx.AsyncClient, document: dict[str, Any]) -> None:
    app: FastAPI = gateway.app  # type: ignore[attr-defined]
    app.state.contract.built_at = -1e9  # due for a rebuild
    app.state.deps.upstreams["search"] = mocked(
        lambda request: httpx.Response(503, json={"code": "down"}), "http://search")
    again = await gateway.get("/openapi.json")
    assert again.status_code == 200 and json.loads(again.text) == document


async def test_docs_load_no_script_from_elsewhere(gateway: httpx.AsyncClient) -> None:
    docs = await gateway.get("/docs")
    assert "cdn.jsdelivr.net" not in docs.text and "unpkg.com" not in docs.text
