"""The tantivy schema, and a service (or its tombstone) as a tantivy document.

Text is analysed by the domain's analyser and handed to tantivy pre-tokenised, so documents and queries
meet in exactly the same terms.
"""

from collections.abc import Callable, Iterable
from functools import lru_cache

import tantivy

from services.search.domain import IndexedService, popularity_boost
from services.search.domain.documents import indexed_terms
from services.search.domain.matching import FIELD_WEIGHTS, SUGGEST_WEIGHTS
from services.search.domain.results import FACETS

SERVICE, RETIRED = "service", "retired"
# Lexicon concepts and intents, one raw token each; the weights are the domain's (CONCEPT_WEIGHTS).
TAG_FIELDS = ("concepts", "body_concepts", "intents")
# A slug, its catalogue version, and how to build its document if that version is to be written.
Versioned = tuple[str, int, Callable[[], tantivy.Document]]


def schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("slug", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("kind", tokenizer_name="raw", index_option="basic")
    for facet in FACETS:
        builder.add_text_field(facet, tokenizer_name="raw", index_option="basic", fast=True)
    for tags in TAG_FIELDS:
        builder.add_text_field(tags, tokenizer_name="raw", index_option="basic")
    for text in (*FIELD_WEIGHTS, "words"):
        builder.add_text_field(text, index_option="freq")
    for prefixes in SUGGEST_WEIGHTS:
        builder.add_text_field(prefixes, index_option="basic")
    builder.add_integer_field("version", stored=True, indexed=True)
    builder.add_float_field("boost", fast=True)
    builder.add_bytes_field("source", stored=True)
    return builder.build()


def _tokens(doc: tantivy.Document, name: str, tokens: Iterable[str]) -> None:
    listed = list(tokens)
    if listed:
        doc.add_pre_tokenized_text(name, tantivy.PreTokenizedString(
            " ".join(listed), [tantivy.Token(token, position, 0, 0) for position, token in enumerate(listed)]))


def count_of(result: tantivy.SearchResult) -> int:
    # SearchResult.count exists at run time (with count=True) but tantivy 0.27's type stubs omit it.
    return int(getattr(result, "count", 0) or 0)


def source_of(doc: tantivy.Document) -> IndexedService:
    source = doc.get_first("source")
    if not isinstance(source, bytes):
        raise ValueError("an indexed service without its source")
    return _parsed(source)


@lru_cache(maxsize=4096)
def _parsed(source: bytes) -> IndexedService:
    # The services on the first pages are read again and again; parsing them once keeps searches fast.
    return IndexedService.model_validate_json(source)


def _weight(submissions: int) -> float:
    # tantivy multiplies a score by log2(2 + the weight field), so store what makes that the boost.
    return float(2 ** popularity_boost(submissions) - 2)


def document(service: IndexedService) -> tantivy.Document:
    doc = tantivy.Document()
    doc.add_text("slug", service.slug)
    doc.add_text("kind", SERVICE)
    doc.add_integer("version", service.version)
    doc.add_text("ministry", service.ministry)
    doc.add_text("maturity", service.maturity)
    for event in service.life_events:
        doc.add_text("life_event", event)
    for name in TAG_FIELDS:
        for tag in getattr(service, name):
            doc.add_text(name, tag)
    for name, terms in indexed_terms(service).items():
        _tokens(doc, name, terms)
    doc.add_float("boost", _weight(service.popularity))
    doc.add_bytes("source", service.model_dump_json().encode())
    return doc


def tombstone(slug: str, version: int) -> tantivy.Document:
    doc = tantivy.Document()
    doc.add_text("slug", slug)
    doc.add_text("kind", RETIRED)
    doc.add_integer("version", version)
    return doc
