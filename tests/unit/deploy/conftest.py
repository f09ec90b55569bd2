"""Each overlay is rendered once per session; every test reads the same objects."""

from __future__ import annotations

import shutil

import pytest

from tests.unit.deploy.manifests import K8S, OVERLAYS, Obj, kustomize, parse


@pytest.fixture(scope="session")
def rendered() -> dict[str, str]:
    if shutil.which("kubectl") is None:
        pytest.fail("kubectl (with kustomize) is needed to render deploy/k8s; it is installed on these machines")
    return {overlay: kustomize(K8S / "overlays" / overlay) for overlay in OVERLAYS}


@pytest.fixture(scope="session")
def overlays(rendered: dict[str, str]) -> dict[str, list[Obj]]:
    return {overlay: parse(text) for overlay, text in rendered.items()}


@pytest.fixture(scope="session")
def production(overlays: dict[str, list[Obj]]) -> list[Obj]:
    return overlays["production"]


@pytest.fixture(scope="session")
def dev(overlays: dict[str, list[Obj]]) -> list[Obj]:
    return overlays["dev"]
