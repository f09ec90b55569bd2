"""The OpenSearch index template and documents, generated from the analyser's own tables.

Index and query text meet in OpenSearch's analysers (standard tokenizer, arabic_normalization, Arabic
light stemming, English light stemming, the British/American spelling synonyms). The query path sends
text the domain has already normalised; the `portal_fold` char filter carries the folds Lucene's
arabic_normalization does not make (ٱ ؤ ئ ی ک, apostrophes), so stored text and normalised queries
agree, letter for letter.
"""

from typing import Any

from services.search.domain import IndexedService
from services.search.domain.analysis import (
    ARABIC_PREFIXES,
    ARABIC_STOPWORDS,
    DROPPED,
    ENGLISH_STOPWORDS,
    ENGLISH_VARIANTS,
    LETTER_FOLDS,
    is_arabic,
)
from services.search.domain.documents import POPULARITY_WEIGHT

TEMPLATE_VERSION = 2
# Lucene's ArabicNormalizer folds these; the mapping char filter takes the rest of LETTER_FOLDS.
LUCENE_ARABIC_NORMALIZATION = frozenset("أإآىة")
ARABIC_FIELDS = ("title_ar", "keywords_ar", "description_ar", "ministry_name_ar")
ENGLISH_FIELDS = ("title_en", "keywords_en", "description_en", "ministry_name_en")
FIELD_WEIGHTS = {"title": 3.0, "keywords": 2.0, "description": 1.0, "ministry_name": 0.5}
PREFIX_FIELDS = {"title_ar.prefix": 2.0, "title_en.prefix": 2.0, "keywords_ar.prefix": 1.0,
                 "keywords_en.prefix": 1.0}
FACET_FIELDS = {"ministry": "ministry", "life_event": "life_events", "maturity": "maturity"}
# Lexicon concepts and intents (query understanding), added in template version 2; an index made from
# version 1 gains them in place (adding fields is the one mapping change a live index accepts).
TAG_MAPPINGS = {"concepts": {"type": "keyword"}, "body_concepts": {"type": "keyword"}, "intents": {"type": "keyword"}}
# Only a newer catalogue version replaces what is stored; popularity only grows. A noop answer means
# the index already holds this version or a newer one, so replaying an event changes nothing.
APPLY_IF_NEWER = """
def current = ctx._source.version;
if (current != null && current >= params.version) { ctx.op = 'none'; return; }
def kept = ctx._source.popularity == null ? 0 : ctx._source.popularity;
def given = params.doc.popularity == null ? 0 : params.doc.popularity;
ctx._source.clear();
ctx._source.putAll(params.doc);
ctx._source.popularity = Math.max(kept, given);
""".strip()
SET_POPULARITY = """
def kept = ctx._source.popularity == null ? 0 : ctx._source.popularity;
ctx._source.popularity = Math.max(kept, params.submissions);
""".strip()
POPULARITY_SCORE = ("1 + params.weight * Math.log1p(doc['popularity'].size() == 0 ? 0 : "
                    "doc['popularity'].value)")


def _fold_mappings() -> list[str]:
    unfolded = {k: v for k, v in LETTER_FOLDS.items() if k not in LUCENE_ARABIC_NORMALIZATION}
    return [f"\\u{ord(k):04x} => {v}" for k, v in unfolded.items()] + [f"\\u{ord(c):04x} => " for c in DROPPED]


def analysis() -> dict[str, Any]:
    fold = ["lowercase", "decimal_digit", "arabic_normalization"]
    article = "|".join(ARABIC_PREFIXES)
    return {
        "char_filter": {"portal_fold": {"type": "mapping", "mappings": _fold_mappings()}},
        "filter": {
            "portal_ar_stop": {"type": "stop", "stopwords": sorted(ARABIC_STOPWORDS)},
            "portal_ar_stem": {"type": "stemmer", "language": "arabic"},
            "portal_en_stop": {"type": "stop", "stopwords": sorted(ENGLISH_STOPWORDS)},
            "portal_en_possessive": {"type": "stemmer", "language": "possessive_english"},
            "portal_en_variants": {"type": "synonym", "synonyms": [f"{a} => {b}" for a, b in ENGLISH_VARIANTS.items()]},
            "portal_en_stem": {"type": "stemmer", "language": "light_english"},
            "portal_strip_article": {"type": "pattern_replace", "pattern": f"^(?:{article})(?=\\p{{L}}{{2}})",
                                     "replacement": ""},
            "portal_with_and_without_article": {"type": "multiplexer", "filters": ["portal_strip_article"],
                                                "preserve_original": True},
            "portal_edge": {"type": "edge_ngram", "min_gram": 1, "max_gram": 20},
        },
        "analyzer": {
            "portal_ar": {"type": "custom", "char_filter": ["portal_fold"], "tokenizer": "standard",
                          "filter": [*fold, "portal_ar_stop", "portal_ar_stem"]},
            "portal_en": {"type": "custom", "char_filter": ["portal_fold"], "tokenizer": "standard",
                          "filter": ["portal_en_possessive", *fold, "portal_en_stop", "portal_en_variants",
                                     "portal_en_stem"]},
            "portal_fold": {"type": "custom", "char_filter": ["portal_fold"], "tokenizer": "standard", "filter": fold},
            "portal_prefix": {"type": "custom", "char_filter": ["portal_fold"], "tokenizer": "standard",
                              "filter": [*fold, "portal_with_and_without_article", "portal_edge"]},
        },
    }


def _text(analyzer: str, prefixes: bool = False) -> dict[str, Any]:
    field: dict[str, Any] = {"type": "text", "analyzer": analyzer}
    if prefixes:
        field["fields"] = {"prefix": {"type": "text", "analyzer": "portal_prefix", "search_analyzer": "portal_fold"}}
    return field


def mappings() -> dict[str, Any]:
    properties: dict[str, Any] = {
        "slug": {"type": "keyword"}, "ministry": {"type": "keyword"}, "maturity": {"type": "keyword"},
        "life_events": {"type": "keyword"}, "version": {"type": "long"}, "retired": {"type": "boolean"},
        "popularity": {"type": "long"}, "spelling": _text("portal_fold"),
        **TAG_MAPPINGS,
        "source": {"type": "object", "enabled": False},
    }
    for name in ARABIC_FIELDS:
        properties[name] = _text("portal_ar", prefixes=name.startswith(("title", "keywords")))
    for name in ENGLISH_FIELDS:
        properties[name] = _text("portal_en", prefixes=name.startswith(("title", "keywords")))
    return {"dynamic": "strict", "properties": properties}


def index_template(alias: str) -> dict[str, Any]:
    """Every physical index `<alias>-<generation>` is created from this; the alias names the live one."""
    return {
        "index_patterns": [f"{alias}-*"],
        "priority": 100,
        "version": TEMPLATE_VERSION,
        "template": {"settings": {"number_of_shards": 1, "analysis": analysis()}, "mappings": mappings()},
        "_meta": {"owner": "search service"},
    }


def text_fields() -> list[str]:
    return [f"{name}^{FIELD_WEIGHTS[name.rsplit('_', 1)[0]]}" for name in (*ARABIC_FIELDS, *ENGLISH_FIELDS)]


def _by_script(texts: tuple[str, ...]) -> tuple[list[str], list[str]]:
    arabic = [t for t in texts if t.strip() and is_arabic(t.strip())]
    return arabic, [t for t in texts if t not in arabic]


def document(service: IndexedService) -> dict[str, Any]:
    keywords_ar, keywords_en = _by_script(service.keywords)
    return {
        "slug": service.slug, "ministry": service.ministry, "maturity": service.maturity,
        "life_events": list(service.life_events), "version": service.version, "retired": False,
        "popularity": service.popularity,
        "concepts": list(service.concepts), "body_concepts": list(service.body_concepts),
        "intents": list(service.intents),
        "title_ar": service.title.ar, "title_en": service.title.en,
        "keywords_ar": keywords_ar, "keywords_en": keywords_en,
        "description_ar": service.description.ar, "description_en": service.description.en,
        "ministry_name_ar": service.ministry_name.ar, "ministry_name_en": service.ministry_name.en,
        "spelling": [service.title.ar, service.title.en, *service.keywords, service.description.ar,
                     service.description.en],
        "source": service.model_dump(mode="json"),
    }


def tombstone(slug: str, version: int) -> dict[str, Any]:
    return {"slug": slug, "version": version, "retired": True}


def apply_if_newer(doc: dict[str, Any]) -> dict[str, Any]:
    """An update body that creates or replaces the document only if its version is newer."""
    return {"scripted_upsert": True, "upsert": {},
            "script": {"lang": "painless", "source": APPLY_IF_NEWER, "params": {"version": doc["version"], "doc": doc}}}


def set_popularity(slug: str, submissions: int) -> dict[str, Any]:
    return {"upsert": {"slug": slug, "popularity": submissions},
            "script": {"lang": "painless", "source": SET_POPULARITY, "params": {"submissions": submissions}}}


def popularity_scored(query: dict[str, Any]) -> dict[str, Any]:
    return {"function_score": {
        "query": query, "boost_mode": "multiply",
        "script_score": {"script": {"source": POPULARITY_SCORE, "params": {"weight": POPULARITY_WEIGHT}}}}}
