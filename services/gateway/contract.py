"""The public OpenAPI 3.1 document: the services' own operations that the gateway forwards, and the gateway's own.

Pure: it takes the documents (the services' from their /openapi.json, the gateway's from its app) and returns one.
Which operations appear follows the routing table (domain.ROUTES), never a list kept here, so a route added to
the table, or to a service under a forwarded prefix, or to the gateway itself, is documented without an edit.
"""

import copy
import json
from collections.abc import Iterable, Mapping
from typing import Any

from services.gateway.domain import Route, route_for

PROBLEM_JSON = "application/problem+json"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
BEARER, MINISTRY_KEY, OIDC = "bearer", "ministryApiKey", "nationalIdentity"

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; `code` is the stable machine-readable reason.",
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object", "properties": {
            "field": {"type": "string"}, "message": {"type": "string"}, "kind": {"type": "string"}}}},
    },
    "additionalProperties": True,
}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again.",
                               "schema": {"type": "string"}}}
WHY = {
    "400": "The body could not be read as the declared media type.",
    "401": "No credentials, or credentials that are not valid.",
    "403": "Signed in, but not allowed to do this.",
    "404": "No such resource, or not the caller's.",
    "409": "The resource's state does not allow this now.",
    "413": "The request body is larger than the gateway accepts.",
    "422": "The request is not valid; `errors` names the fields.",
    "429": "Too many requests from this caller; wait for Retry-After.",
    "503": "The service behind this route is unavailable; the rest of the portal still works.",
}
WRITES = ("post", "put", "patch", "delete")


def security_schemes(oidc_discovery_url: str | None) -> dict[str, Any]:
    schemes: dict[str, Any] = {
        BEARER: {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                 "description": "A token from the national identity provider (citizens and portal staff), or in "
                                "development from POST /api/v1/auth/dev-token."},
        MINISTRY_KEY: {"type": "http", "scheme": "bearer", "bearerFormat": "pk_…",
                       "description": "A ministry's API key (`Authorization: Bearer pk_…`), scoped to one "
                                      "ministry; issued once at onboarding."},
    }
    if oidc_discovery_url:
        schemes[OIDC] = {"type": "openIdConnect", "openIdConnectUrl": oidc_discovery_url,
                         "description": "The national identity provider (OpenID Connect)."}
    return schemes


def route_security(route: Route, schemes: Mapping[str, Any]) -> list[dict[str, list[str]]]:
    if route.access == "public":
        return []
    people: list[dict[str, list[str]]] = [{BEARER: []}]
    if OIDC in schemes:
        people.append({OIDC: []})
    if route.prefix.startswith("/api/v1/ministry/"):
        return [{MINISTRY_KEY: []}, *people]
    return people


def assemble(own: Mapping[str, Any], upstreams: Mapping[str, Mapping[str, Any]], *, title: str, version: str,
             oidc_discovery_url: str | None = None) -> dict[str, Any]:
    """One document: `own` is the gateway's app.openapi(), `upstreams` each service's by upstream name."""
    schemes = security_schemes(oidc_discovery_url)
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version,
                 "description": "Every public operation of the portal, served by the gateway. Errors are RFC 9457 "
                                "problem details (application/problem+json)."},
        "paths": {},
        "components": {"schemas": {"Problem": PROBLEM_SCHEMA}, "securitySchemes": schemes},
    }
    schemas: dict[str, Any] = document["components"]["schemas"]
    for name, source in sorted(upstreams.items()):
        renames = _merge_schemas(schemas, source.get("components", {}).get("schemas", {}), name)
        for path, item in source.get("paths", {}).items():
            route = route_for(path)
            if route is None or route.upstream != name:
                continue
            for method, operation in _operations(item):
                shown = _renamed(operation, renames)
                _secure(shown, route_security(route, schemes))
                _problems(shown, method)
                document["paths"].setdefault(path, {})[method] = shown
    renames = _merge_schemas(schemas, own.get("components", {}).get("schemas", {}), "gateway")
    for path, item in own.get("paths", {}).items():
        for method, operation in _operations(item):
            shown = _renamed(operation, renames)
            security = shown.pop("security", [])
            _secure(shown, [{BEARER: []}] if security else [])
            _problems(shown, method)
            document["paths"].setdefault(path, {})[method] = shown
    document["paths"] = dict(sorted(document["paths"].items()))
    for unused in ("HTTPValidationError", "ValidationError"):
        if not _referenced(document, unused):
            schemas.pop(unused, None)
    return document


def documented_operations(document: Mapping[str, Any]) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in document.get("paths", {}).items()
            for method, _ in _operations(item)}


def _operations(item: Mapping[str, Any]) -> Iterable[tuple[str, dict[str, Any]]]:
    return [(method, operation) for method, operation in item.items() if method in METHODS]


def _secure(operation: dict[str, Any], security: list[dict[str, list[str]]]) -> None:
    """An empty list says "no sign-in" explicitly, whatever the document's default."""
    operation["security"] = security


def _problems(operation: dict[str, Any], method: str) -> None:
    """The codes the gateway itself may answer on any operation, and every error as a problem document."""
    codes = {"404", "422", "429", "503"}
    if operation["security"]:
        codes |= {"401", "403"}
    if method in WRITES:
        codes |= {"400", "409", "413"}
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for code in sorted(codes | {c for c in responses if c[:1] in "45"}):
        existing = responses.get(code, {})
        # A format the operation declares itself (Open311's error list, say) stays beside the gateway's own.
        content = {media: body for media, body in existing.get("content", {}).items()
                   if "HTTPValidationError" not in json.dumps(body)}
        content[PROBLEM_JSON] = {"schema": {"$ref": "#/components/schemas/Problem"}}
        problem: dict[str, Any] = {"description": existing.get("description") or WHY.get(code, "An error."),
                                   "content": content}
        if code in ("429", "503"):
            problem["headers"] = dict(RETRY_AFTER)
        responses[code] = problem


def _merge_schemas(into: dict[str, Any], schemas: Mapping[str, Any], owner: str) -> dict[str, str]:
    """Add a document's schemas; a name already taken by a different schema gets the owner's prefix."""
    renames: dict[str, str] = {}
    for name in schemas:
        if name in into and into[name] != schemas[name]:
            renames[name] = f"{owner.capitalize()}{name}"
    for name, schema in schemas.items():
        into[renames.get(name, name)] = _renamed(schema, renames)
    return renames


def _renamed(value: Any, renames: Mapping[str, str]) -> Any:
    if not renames:
        return copy.deepcopy(value)
    text = json.dumps(value)
    for old, new in renames.items():
        text = text.replace(f'"#/components/schemas/{old}"', f'"#/components/schemas/{new}"')
    return json.loads(text)


def _referenced(document: Mapping[str, Any], name: str) -> bool:
    return f'"#/components/schemas/{name}"' in json.dumps(document)
