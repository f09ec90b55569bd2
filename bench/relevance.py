"""Search relevance: does the expected service come first, or in the top 3, for queries as citizens type them.

Two judged sets: tests/data/search_relevance.json (the seeded catalogue, as typed), and
tests/data/search_intent_relevance.json in tiers (query understanding, issue #12). The cross-language tier is
scored on a one-language catalogue: English queries against the services with only their Arabic text, Arabic
queries against only their English text.
"""

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from bench.settings import REPO
from bench.stats import table
from shared.contracts.base import Bilingual
from shared.contracts.catalog import ServiceRecord

RELEVANCE_SET = REPO / "tests" / "data" / "search_relevance.json"
TIERED_SET = REPO / "tests" / "data" / "search_intent_relevance.json"
TIERS = ("spelling", "intent", "colloquial", "transliterated", "cross_language")
TIER_TARGETS = {"spelling": 1.0, "intent": 0.9, "colloquial": 0.9, "transliterated": 0.9, "cross_language": 0.9}
CROSS_LANGUAGE = "cross_language"
SEARCH = "/api/v1/search"
Ranked = list[tuple[dict[str, str], list[str]]]
LoadCatalogue = Callable[[list[ServiceRecord]], Awaitable[object]]


@dataclass
class TierScore:
    tier: str
    queries: int
    hit1: float
    hit3: float
    mrr: float
    missed: list[tuple[str, str, list[str]]] = field(default_factory=list)


def tiered_queries() -> list[dict[str, str]]:
    queries: list[dict[str, str]] = json.loads(TIERED_SET.read_text())["queries"]
    return queries


def relevance_queries() -> list[dict[str, str]]:
    queries: list[dict[str, str]] = json.loads(RELEVANCE_SET.read_text())["queries"]
    return queries


def one_language(records: list[ServiceRecord], lang: str) -> list[ServiceRecord]:
    """The services with their own text in one language only (titles, descriptions, keywords, synonyms);
    the ministry's name stays bilingual."""
    def kept(text: Bilingual) -> Bilingual:
        return Bilingual(ar=text.ar, en=text.ar) if lang == "ar" else Bilingual(ar=text.en, en=text.en)

    def arabic(text: str) -> bool:
        return any("\u0600" <= c <= "\u06ff" for c in text)

    return [r.model_copy(update={
        "title": kept(r.title), "description": kept(r.description),
        "keywords": [k for k in r.keywords if arabic(k) == (lang == "ar")],
        "synonyms": r.synonyms.model_copy(update={"en": []} if lang == "ar" else {"ar": []}),
    }) for r in records]


async def ranks(client: httpx.AsyncClient, queries: list[dict[str, str]]) -> Ranked:
    ranked: Ranked = []
    for item in queries:
        response = await client.get(SEARCH, params={"q": item["q"], "lang": item["lang"]})
        if response.status_code != 200:
            raise RuntimeError(f"search {item['q']!r}: {response.status_code} {response.text[:300]}")
        ranked.append((item, [hit["slug"] for hit in response.json()["hits"]]))
    return ranked


def tier_score(tier: str, ranked: Ranked) -> TierScore:
    hit1 = sum(found[:1] == [item["expected"]] for item, found in ranked)
    hit3 = sum(item["expected"] in found[:3] for item, found in ranked)
    mrr = sum(1 / (found.index(item["expected"]) + 1) for item, found in ranked if item["expected"] in found)
    missed = [(item["q"], item["expected"], found[:3]) for item, found in ranked if item["expected"] not in found[:3]]
    count = max(len(ranked), 1)
    return TierScore(tier, len(ranked), hit1 / count, hit3 / count, mrr / count, missed)


async def score_relevance(client: httpx.AsyncClient) -> TierScore:
    return tier_score("as typed", await ranks(client, relevance_queries()))


async def score_tiers(client: httpx.AsyncClient, seeded: list[ServiceRecord], load: LoadCatalogue
                      ) -> list[TierScore]:
    """hit@1, hit@3 and MRR per tier; the cross-language tier on one-language catalogues, after which the
    seeded catalogue is loaded again."""
    queries = tiered_queries()
    ranked = {tier: await ranks(client, [q for q in queries if q["tier"] == tier])
              for tier in TIERS if tier != CROSS_LANGUAGE}
    crossing: Ranked = []
    for records, asked in ((one_language(seeded, "ar"), "en"), (one_language(seeded, "en"), "ar")):
        await load(records)
        crossing += await ranks(client, [q for q in queries if q["tier"] == CROSS_LANGUAGE and q["lang"] == asked])
    ranked[CROSS_LANGUAGE] = crossing
    await load(seeded)
    return [tier_score(tier, ranked[tier]) for tier in TIERS]


def tiers_report(tiers: list[TierScore], baseline: list[TierScore]) -> str:
    """Per tier: the portal (understanding on) beside the plain engine (stemmer only), and the target."""
    plain = {score.tier: score for score in baseline}
    rows = []
    for score in tiers:
        base = plain.get(score.tier)
        met = "yes" if score.hit3 >= TIER_TARGETS[score.tier] else "NO"
        rows.append([score.tier, str(score.queries), f"{score.hit1:.1%}", f"{score.hit3:.1%}", f"{score.mrr:.3f}",
                     *((f"{base.hit1:.1%}", f"{base.hit3:.1%}", f"{base.mrr:.3f}") if base else ("-", "-", "-")),
                     f"≥{TIER_TARGETS[score.tier]:.0%} {met}"])
    missed = "; ".join(f"[{s.tier}] {q!r} → {expected} (got {', '.join(found) or 'nothing'})"
                       for s in tiers for q, expected, found in s.missed) or "none"
    return "\n".join([
        f"query understanding ({sum(s.queries for s in tiers)} queries in tiers, {TIERED_SET.name}; "
        "baseline = the plain engine with its stemmer, understanding off):",
        table(["tier", "n", "hit@1", "hit@3", "MRR", "base hit@1", "base hit@3", "base MRR", "hit@3 target"], rows),
        f"missed top 3 with understanding: {missed}",
    ])
