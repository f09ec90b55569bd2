"""A service as the search index holds it, and the rule that only a newer catalogue version replaces it."""

import math

from pydantic import BaseModel, ConfigDict

from services.search.domain.analysis import analyse, edge_grams, normalise, term, words, written_words
from services.search.domain.understanding import Lexicon, tag_service
from shared.contracts.base import Bilingual
from shared.contracts.catalog import ServiceRecord

# Popularity lifts a service by 1 + 0.1·ln(1 + submissions): 10 submissions ×1.24, 1,000 ×1.69, so it
# orders services that match about equally well without burying a better match under a popular one.
POPULARITY_WEIGHT = 0.1


class IndexedService(BaseModel):
    """What is searched and shown; rebuilt from the catalogue record, so it holds nothing of its own."""

    model_config = ConfigDict(frozen=True)

    slug: str
    ministry: str
    ministry_name: Bilingual
    version: int
    title: Bilingual
    description: Bilingual
    # The catalogue's keywords and the synonyms citizens type, in either language.
    keywords: tuple[str, ...] = ()
    maturity: str
    life_events: tuple[str, ...] = ()
    popularity: int = 0
    # Lexicon concepts found in the service's own text (title or keywords; description) and its title's
    # intents. Read at indexing time, so any ministry's new service is tagged without touching the lexicon.
    concepts: tuple[str, ...] = ()
    body_concepts: tuple[str, ...] = ()
    intents: tuple[str, ...] = ()


def build_document(record: ServiceRecord, popularity: int = 0, lexicon: Lexicon | None = None) -> IndexedService:
    keywords = tuple(dict.fromkeys([*record.keywords, *record.synonyms.ar, *record.synonyms.en]))
    tags = tag_service((record.title.ar, record.title.en), keywords,
                       (record.description.ar, record.description.en), lexicon) if lexicon else None
    return IndexedService(
        slug=record.slug, ministry=record.ministry, ministry_name=record.ministry_name, version=record.version,
        title=record.title, description=record.description, keywords=keywords, maturity=record.maturity,
        life_events=tuple(dict.fromkeys(record.life_events)), popularity=popularity,
        concepts=tags.concepts if tags else (), body_concepts=tags.body_concepts if tags else (),
        intents=tags.intents if tags else ())


def is_newer(version: int, indexed_version: int | None) -> bool:
    """Catalogue versions only grow, so anything not above what the index holds is late or repeated."""
    return indexed_version is None or version > indexed_version


def popularity_boost(submissions: int) -> float:
    return 1.0 + POPULARITY_WEIGHT * math.log1p(max(submissions, 0))


def indexed_terms(service: IndexedService) -> dict[str, list[str]]:
    """The terms each engine indexes for a service, field by field: scored text, the words services write
    (the spelling model) and the beginnings of title and keyword words (autocomplete)."""
    titles = (service.title.ar, service.title.en)
    shown = (*titles, *service.keywords, service.description.ar, service.description.en)
    return {
        "title": [t for text in titles for t in analyse(text)],
        "keywords": [t for text in service.keywords for t in analyse(text)],
        "body": [t for text in (service.description.ar, service.description.en) for t in analyse(text)],
        "ministry_name": [t for text in (service.ministry_name.ar, service.ministry_name.en) for t in analyse(text)],
        "words": [w for text in shown for w in written_words(text) if term(normalise(w))],
        "title_prefixes": sorted({g for text in titles for w in words(text) for g in edge_grams(w)}),
        "keyword_prefixes": sorted({g for text in service.keywords for w in words(text) for g in edge_grams(w)}),
    }
