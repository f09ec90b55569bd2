"""OpenSearch's own API specification (opensearch-project/opensearch-api-specification), vendored as data
in tests/data/opensearch_api, and a strict validator of the requests the adapter sends against it.

`python -m tests.unit.search.opensearch_spec <checkout>/spec <commit>` rebuilds the bundle: the operations the
adapter calls, with their query parameters and request bodies, and every schema they reach, as published.
The validator then refuses what the specification does not describe: an unknown key in an object the
specification lists the properties of, an unknown query parameter, a value of the wrong type.
"""

import json
import re
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource

BUNDLE = Path(__file__).resolve().parents[2] / "data" / "opensearch_api" / "operations.json"
# Every call the adapter makes (services/search/engines/opensearch.py), as the specification names it.
OPERATIONS = (
    ("put", "/_index_template/{name}"), ("head", "/{index}/_alias/{name}"), ("put", "/{index}"),
    ("put", "/{index}/_mapping"), ("get", "/{index}/_alias"), ("post", "/{index}/_update/{id}"),
    ("get", "/{index}/_doc/{id}"), ("post", "/{index}/_count"), ("post", "/{index}/_search"),
    ("post", "/_bulk"), ("delete", "/{index}"), ("post", "/{index}/_refresh"), ("post", "/_aliases"),
)
# Parameters every operation takes (spec/_global_parameters.yaml), and what the client itself adds.
GLOBAL_PARAMETERS = frozenset({"pretty", "human", "error_trace", "source", "filter_path"})


# Bundling, run by hand when the pinned commit changes.

def _load(spec: Path) -> dict[str, Any]:
    import yaml

    return {str(path.relative_to(spec)): yaml.safe_load(path.read_text()) for path in spec.rglob("*.yaml")}


def _key(file: str, pointer: str) -> str:
    return f"{Path(file).name.removesuffix('.yaml')}:{pointer.rsplit('/', 1)[-1]}"


def bundle(spec: Path, commit: str) -> dict[str, Any]:
    files = _load(spec)
    defs: dict[str, Any] = {}

    def resolve(ref: str, here: str) -> tuple[str, Any]:
        target, _, pointer = ref.partition("#")
        file = str((Path(here).parent / target).as_posix()) if target else here
        file = str(Path(file)).replace("namespaces/../", "")
        node: Any = files[file]
        for part in pointer.strip("/").split("/"):
            node = node[part]
        return file, node

    def inline(node: Any, here: str) -> Any:
        if isinstance(node, list):
            return [inline(item, here) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node and isinstance(node["$ref"], str):
            file, target = resolve(node["$ref"], here)
            key = _key(file, node["$ref"].partition("#")[2])
            if "/schemas/" in node["$ref"] or node["$ref"].startswith("#/components/schemas/"):
                if key not in defs:
                    defs[key] = None
                    defs[key] = inline(target, file)
                rest = {k: inline(v, here) for k, v in node.items() if k != "$ref"}
                return {"$ref": f"#/$defs/{key}", **rest}
            return inline(target, file)
        return {k: inline(v, here) for k, v in node.items()}

    operations: dict[str, Any] = {}
    for method, path in OPERATIONS:
        for file, document in files.items():
            operation = document.get("paths", {}).get(path, {}).get(method)
            if operation is None:
                continue
            parameters = [inline(p, file) for p in operation.get("parameters", [])]
            body = inline(operation["requestBody"], file) if "requestBody" in operation else None
            operations[f"{method.upper()} {path}"] = {
                "operationId": operation["operationId"],
                "query": {p["name"]: p["schema"] for p in parameters if p["in"] == "query"},
                "body": (body or {}).get("content"),
            }
    global_parameters = [inline(p, "_global_parameters.yaml")
                         for p in files["_global_parameters.yaml"]["components"]["parameters"].values()]
    return {"source": "https://github.com/opensearch-project/opensearch-api-specification", "commit": commit,
            "global_query": {p["name"]: p["schema"] for p in global_parameters},
            "operations": operations, "$defs": defs}


# Validating.

class SpecViolation(AssertionError):
    pass


COMPOSITIONS = ("allOf", "anyOf", "oneOf")
OPEN_ENDED = frozenset({"additionalProperties", "unevaluatedProperties", "patternProperties"})


def _members(node: Any) -> Iterator[Any]:
    if isinstance(node, list):
        for item in node:
            yield from _members(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key in COMPOSITIONS:
                yield from value
            yield from _members(value)


def strict_definitions(defs: dict[str, Any]) -> dict[str, Any]:
    """Objects the specification lists the properties of take nothing else.

    A member of an allOf, anyOf or oneOf is left open (its siblings' properties are not its to refuse,
    and an explicit `unevaluatedProperties: true` there is dropped, as it would claim every property):
    the schema composing them is closed instead, and sees every property its successful members name.
    """
    members = {m["$ref"].removeprefix("#/$defs/") for m in _members(defs) if isinstance(m, dict) and "$ref" in m}
    return {key: strict(schema, member=key in members) for key, schema in defs.items()}


def strict(node: Any, member: bool = False) -> Any:
    if isinstance(node, list):
        return [strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    made = {key: [strict(m, member=True) for m in value] if key in COMPOSITIONS else strict(value)
            for key, value in node.items()}
    if member:
        for key in OPEN_ENDED & node.keys():
            if node[key] is True:
                del made[key]
    elif not OPEN_ENDED & node.keys() and {"properties", *COMPOSITIONS} & node.keys():
        made["unevaluatedProperties"] = False
    return made


@cache
def _bundle() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(BUNDLE.read_text())
    return loaded


@cache
def _definitions() -> dict[str, Any]:
    return strict_definitions(_bundle()["$defs"])


@cache
def _validator(schema_json: str) -> Draft202012Validator:
    schema = json.loads(schema_json)
    root = {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$defs": _definitions(), **strict(schema)}
    registry: Registry[Any] = Registry().with_resource("urn:opensearch", Resource.from_contents(root))
    return Draft202012Validator(root, registry=registry)


def _templates() -> Iterator[tuple[str, str, str]]:
    for key in _bundle()["operations"]:
        method, template = key.split(" ", 1)
        yield key, method, "^" + re.sub(r"\\\{(\w+)\\\}", "[^/]+", re.escape(template)) + "$"


def operation_for(method: str, path: str) -> str:
    path = unquote(path)
    candidates = [key for key, verb, pattern in _templates() if verb == method and re.match(pattern, path)]
    # The most specific template wins: /{index}/_alias/{name} over /{index}.
    if not candidates:
        raise SpecViolation(f"{method} {path} is no operation the specification describes")
    return max(candidates, key=lambda key: key.count("/") - key.count("{"))


def _errors(schema: Any, value: Any) -> list[ValidationError]:
    return sorted(_validator(json.dumps(schema, sort_keys=True)).iter_errors(value), key=lambda e: list(e.path))


def validate(method: str, path: str, params: dict[str, Any], body: Any) -> str:
    """The operation the request is, or SpecViolation saying where it departs from the specification."""
    key = operation_for(method, path)
    operation = _bundle()["operations"][key]
    known = {**_bundle()["global_query"], **operation["query"]}
    for name, value in params.items():
        if name not in known:
            raise SpecViolation(f"{key}: unknown query parameter {name!r}")
        schema = known[name]
        typed = _typed(value, schema)
        problems = _errors(schema, typed)
        if problems:
            raise SpecViolation(f"{key}: query parameter {name}={value!r}: {problems[0].message}")
    if body is not None:
        content = operation["body"]
        if content is None:
            raise SpecViolation(f"{key} takes no request body")
        schema = (content.get("application/json") or content.get("application/x-ndjson"))["schema"]
        problems = _errors(schema, body)
        if problems:
            where = "/".join(str(p) for p in problems[0].absolute_path)
            raise SpecViolation(f"{key}: body at /{where}: {problems[0].message}")
    return key


def _typed(value: Any, schema: Any) -> Any:
    """Query parameters travel as text; read them as the type the schema gives, as the server does."""
    text = str(value).lower() if isinstance(value, bool) else str(value)
    for candidate in (text, *([int(text)] if text.lstrip("-").isdigit() else []),
                      *([text == "true"] if text in ("true", "false") else [])):
        if not _errors(schema, candidate):
            return candidate
    return text


if __name__ == "__main__":
    spec_dir, commit = Path(sys.argv[1]), sys.argv[2]
    BUNDLE.write_text(json.dumps(bundle(spec_dir, commit), indent=1, sort_keys=True, ensure_ascii=False) + "\n")
