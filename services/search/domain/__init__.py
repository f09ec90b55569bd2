"""Search rules, no I/O: analysis, documents, query plans, results, spelling and curation."""

from services.search.domain.documents import IndexedService, build_document, is_newer, popularity_boost
from services.search.domain.errors import Conflict, Invalid, NotFound, SearchError, Unavailable
from services.search.domain.queries import (
    MAX_PAGE,
    MAX_QUERY_LENGTH,
    SUGGESTIONS,
    Lang,
    PrefixPlan,
    QueryPlan,
    SearchQuery,
    SynonymIndex,
    SynonymSet,
    plan_prefix,
    plan_query,
)
from services.search.domain.results import Facets, Hit, SearchResults

__all__ = [
    "MAX_PAGE", "MAX_QUERY_LENGTH", "SUGGESTIONS", "Conflict", "Facets", "Hit", "IndexedService", "Invalid", "Lang",
    "NotFound", "PrefixPlan", "QueryPlan", "SearchError", "SearchQuery", "SearchResults", "SynonymIndex",
    "SynonymSet", "Unavailable", "build_document", "is_newer", "plan_prefix", "plan_query", "popularity_boost",
]
