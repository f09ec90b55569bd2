"""A ministry's requests worker, its KEDA ScaledObject and its onboarding Job, from the YAML templates in
templates/ (ops edit those, not Python): each template is parsed, then ${...} placeholders are filled in its
string values only, so a name can never change the YAML's structure."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from k8s_bus import VHOST, Ministry
from k8s_topology import bus

TEMPLATES = Path(__file__).resolve().parent / "templates"
# ${name} only: Kubernetes' own $(VAR) references in env values pass through untouched.
PLACEHOLDER = re.compile(r"\$\{([a-z_]+)\}")


def fill(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {key: fill(item, values) for key, item in value.items()}
    if isinstance(value, list):
        return [fill(item, values) for item in value]
    return PLACEHOLDER.sub(lambda found: values[found.group(1)], value) if isinstance(value, str) else value


def from_template(name: str, ministry: Ministry, **extra: str) -> dict[str, Any]:
    template = yaml.safe_load((TEMPLATES / name).read_text(encoding="utf-8"))
    values = {"code": ministry.code, "name_en": ministry.name_en, "name_ar": ministry.name_ar,
              "queue": bus.from_ministry(ministry.code).name, "vhost": VHOST, **extra}
    filled: dict[str, Any] = fill(template, values)
    return filled


def worker_deployment(ministry: Ministry) -> dict[str, Any]:
    return from_template("requests-worker.yaml", ministry)


def worker_scaled_object(ministry: Ministry) -> dict[str, Any]:
    return from_template("scaledobject.yaml", ministry)


def onboarding_job(ministry: Ministry, image: str) -> dict[str, Any]:
    return from_template("onboarding-job.yaml", ministry, image=image)
