"""The seeded catalogue (portal/seed) as the catalogue would publish it, and the relevance set written for it."""

import json
from pathlib import Path
from typing import Any

from portal.onboarding import seed_ministries, seed_services
from services.search.domain.analysis import is_arabic
from shared.contracts.base import Bilingual
from shared.contracts.catalog import ServiceRecord

RELEVANCE_SET = Path(__file__).resolve().parents[2] / "data" / "search_relevance.json"
TIERED_SET = Path(__file__).resolve().parents[2] / "data" / "search_intent_relevance.json"


def create_seeded_records() -> list[ServiceRecord]:
    return [ServiceRecord.model_validate(service | {"ministry": ministry["code"], "ministry_name": ministry["name"],
                                                    "version": 1})
            for ministry in seed_ministries() for service in seed_services(ministry["code"])]


def relevance_queries() -> list[dict[str, Any]]:
    queries: list[dict[str, Any]] = json.loads(RELEVANCE_SET.read_text())["queries"]
    return queries


def tiered_queries() -> list[dict[str, Any]]:
    queries: list[dict[str, Any]] = json.loads(TIERED_SET.read_text())["queries"]
    return queries


def one_language(records: list[ServiceRecord], lang: str) -> list[ServiceRecord]:
    """The services with their own text in one language only, as a ministry publishing in one would."""
    def kept(text: Bilingual) -> Bilingual:
        return Bilingual(ar=text.ar, en=text.ar) if lang == "ar" else Bilingual(ar=text.en, en=text.en)

    return [r.model_copy(update={
        "title": kept(r.title), "description": kept(r.description),
        "keywords": [k for k in r.keywords if is_arabic(k.strip()) == (lang == "ar")],
        "synonyms": r.synonyms.model_copy(update={"en": []} if lang == "ar" else {"ar": []}),
    }) for r in records]
