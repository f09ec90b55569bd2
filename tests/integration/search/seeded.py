"""The seeded catalogue (portal/seed) as the catalogue would publish it, and the relevance set written for it."""

import json
from pathlib import Path
from typing import Any

from portal.onboarding import seed_ministries, seed_services
from shared.contracts.catalog import ServiceRecord

RELEVANCE_SET = Path(__file__).resolve().parents[2] / "data" / "search_relevance.json"


def create_seeded_records() -> list[ServiceRecord]:
    return [ServiceRecord.model_validate(service | {"ministry": ministry["code"], "ministry_name": ministry["name"],
                                                    "version": 1})
            for ministry in seed_ministries() for service in seed_services(ministry["code"])]


def relevance_queries() -> list[dict[str, Any]]:
    queries: list[dict[str, Any]] = json.loads(RELEVANCE_SET.read_text())["queries"]
    return queries
