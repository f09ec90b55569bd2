"""The OpenSearch index template and documents: the search service's own terms, split on whitespace.

OpenSearch does not analyse language here. Every text field holds the terms `analyse()` made (the
embedded engine's terms, by construction) joined by spaces, and is read with the `whitespace` analyser,
which neither folds nor stems; queries name those same terms. So both engines hold and match the same
terms for every word, and OpenSearch contributes distribution, replication and BM25 scoring.
"""

from typing import Any

from services.search.domain import IndexedService
from services.search.domain.documents import POPULARITY_WEIGHT, indexed_terms, popularity_boost

TEMPLATE_VERSION = 3
SCORED_TEXT = ("title", "body", "ministry_name")
PREFIX_TEXT = ("title_prefixes", "keyword_prefixes")
FACET_FIELDS = {"ministry": "ministry", "life_event": "life_events", "maturity": "maturity"}
TAG_FIELDS = ("concepts", "body_concepts", "intents")
# Read only by the adapter's term statistics (aggregations): not searched, so not indexed.
STATISTICS_ONLY = ("words", "terms")
# Only a newer catalogue version replaces what is stored; popularity only grows, and its boost (the
# domain's popularity_boost, which queries multiply scores by) follows it. A noop answer means the index
# already holds this version or a newer one, so replaying an event changes nothing.
BOOST = "ctx._source.popularity_boost = 1 + params.weight * Math.log1p(ctx._source.popularity);"
APPLY_IF_NEWER = f"""
def current = ctx._source.version;
if (current != null && current >= params.version) {{ ctx.op = 'none'; return; }}
def kept = ctx._source.popularity == null ? 0 : ctx._source.popularity;
def given = params.doc.popularity == null ? 0 : params.doc.popularity;
ctx._source.clear();
ctx._source.putAll(params.doc);
ctx._source.popularity = Math.max(kept, given);
{BOOST}
""".strip()
SET_POPULARITY = f"""
def kept = ctx._source.popularity == null ? 0 : ctx._source.popularity;
ctx._source.popularity = Math.max(kept, params.submissions);
{BOOST}
""".strip()


def mappings() -> dict[str, Any]:
    keyword = {"type": "keyword"}
    properties: dict[str, Any] = {
        "slug": keyword, "ministry": keyword, "maturity": keyword, "life_events": keyword,
        "version": {"type": "long"}, "retired": {"type": "boolean"}, "popularity": {"type": "long"},
        "popularity_boost": {"type": "double"},
        # Pre-analysed terms, one value each: matched as terms, scored flat by the query.
        "keywords": keyword,
        **dict.fromkeys(TAG_FIELDS, keyword),
        **{name: {"type": "keyword", "index": False} for name in STATISTICS_ONLY},
        **{name: {"type": "text", "analyzer": "whitespace", "index_options": "freqs"} for name in SCORED_TEXT},
        **{name: {"type": "text", "analyzer": "whitespace", "index_options": "docs"} for name in PREFIX_TEXT},
        "source": {"type": "object", "enabled": False},
    }
    return {"dynamic": "strict", "_meta": {"template_version": TEMPLATE_VERSION}, "properties": properties}


def index_template(alias: str) -> dict[str, Any]:
    """Every physical index `<alias>-<generation>` is created from this; the alias names the live one."""
    return {
        "index_patterns": [f"{alias}-*"],
        "priority": 100,
        "version": TEMPLATE_VERSION,
        "template": {"settings": {"number_of_shards": 1}, "mappings": mappings()},
        "_meta": {"owner": "search service"},
    }


def document(service: IndexedService) -> dict[str, Any]:
    """The service as OpenSearch holds it: the embedded engine's terms, field by field."""
    terms = indexed_terms(service)
    return {
        "slug": service.slug, "ministry": service.ministry, "maturity": service.maturity,
        "life_events": list(service.life_events), "version": service.version, "retired": False,
        "popularity": service.popularity, "popularity_boost": popularity_boost(service.popularity),
        **{name: list(getattr(service, name)) for name in TAG_FIELDS},
        **{name: " ".join(terms[name]) for name in (*SCORED_TEXT, *PREFIX_TEXT)},
        "keywords": terms["keywords"],
        "words": sorted(set(terms["words"])),
        "terms": sorted({t for name in (*SCORED_TEXT, "keywords") for t in terms[name]}),
        "source": service.model_dump(mode="json"),
    }


def tombstone(slug: str, version: int) -> dict[str, Any]:
    return {"slug": slug, "version": version, "retired": True}


def apply_if_newer(doc: dict[str, Any]) -> dict[str, Any]:
    """An update body that creates or replaces the document only if its version is newer."""
    return {"scripted_upsert": True, "upsert": {},
            "script": {"lang": "painless", "source": APPLY_IF_NEWER,
                       "params": {"version": doc["version"], "doc": doc, "weight": POPULARITY_WEIGHT}}}


def set_popularity(slug: str, submissions: int) -> dict[str, Any]:
    return {"upsert": {"slug": slug, "popularity": submissions, "popularity_boost": popularity_boost(submissions)},
            "script": {"lang": "painless", "source": SET_POPULARITY,
                       "params": {"submissions": submissions, "weight": POPULARITY_WEIGHT}}}
