"""Shared helpers: where the manifests live and how to look inside rendered objects."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[3]
K8S = REPO / "deploy" / "k8s"
BASE = K8S / "base"
OVERLAYS = ("dev", "production")
NAMESPACE = "gov-portal"
SERVICES = ("gateway", "catalog", "search", "requests", "notifications")
DB_SERVICES = ("catalog", "search", "requests", "notifications")
# Every process with a database of its own: the gateway's holds only signed-out sessions.
DATABASE_OWNERS = (*DB_SERVICES, "gateway")
RUN_AS = 10001
# The checkers' own environment (tools/pyproject.toml), which `make test` installs and `make run` does not.
TOOLS_BIN = REPO / "tools" / ".venv" / "bin"

Obj = dict[str, Any]


def kustomize(path: Path) -> str:
    done = subprocess.run(["kubectl", "kustomize", str(path)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"kubectl kustomize {path.relative_to(REPO)} failed:\n{done.stderr}"
    return done.stdout


def parse(text: str) -> list[Obj]:
    return [doc for doc in yaml.safe_load_all(text) if doc is not None]


def docs_of(path: Path) -> list[Obj]:
    return parse(path.read_text(encoding="utf-8"))


def of_kind(objects: list[Obj], kind: str) -> list[Obj]:
    return [obj for obj in objects if obj["kind"] == kind]


def named(objects: list[Obj], kind: str, name: str) -> Obj:
    found = [obj for obj in of_kind(objects, kind) if obj["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def pod_spec(workload: Obj) -> dict[str, Any]:
    spec: dict[str, Any] = workload["spec"]["template"]["spec"]
    return spec


def containers(workload: Obj) -> list[dict[str, Any]]:
    spec = pod_spec(workload)
    return [*spec.get("initContainers", []), *spec["containers"]]


def env_of(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {var["name"]: var for var in container.get("env", [])}


def walk(value: Any) -> Iterator[Any]:
    """Every value nested anywhere in a manifest."""
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


def tool(name: str) -> str:
    found = TOOLS_BIN / name
    assert found.exists(), f"{name} is not installed: `make tools` puts it in tools/.venv (make test does)"
    return str(found)


def kubernetes_validate(objects: list[Obj], folder: Path, version: str = "1.31.0") -> str:
    """kubernetes-validate --strict over built-in objects; returns its complaints ("" when all are valid)."""
    rendered = folder / "objects.yaml"
    rendered.write_text(yaml.safe_dump_all(objects), encoding="utf-8")
    done = subprocess.run([tool("kubernetes-validate"), "--kubernetes-version", version, "--strict", "--quiet",
                           str(rendered)], capture_output=True, text=True, check=False)
    complaints = done.stdout + done.stderr
    return complaints if done.returncode or "Couldn't find schema" in complaints else ""


def load_generator() -> ModuleType:
    if "k8s_generate" in sys.modules:
        return sys.modules["k8s_generate"]
    spec = importlib.util.spec_from_file_location("k8s_generate", K8S / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["k8s_generate"] = module
    spec.loader.exec_module(module)
    return module
