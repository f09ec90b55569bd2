from services.search.handlers.admin import (
    AddSynonyms,
    add_synonyms,
    add_to_rebuild,
    begin_rebuild,
    complete_rebuild,
    index_status,
    list_synonyms,
    query_report,
    remove_synonyms,
)
from services.search.handlers.catalogue import index_service, reindex_service, remove_service
from services.search.handlers.deps import Deps, SynonymCache
from services.search.handlers.popularity import Report, request_events, set_submission_counts
from services.search.handlers.queries import flush_query_counts, search_services, suggest_services
from shared.bus.dispatch import EventRouter
from shared.contracts.catalog import ServicePublished, ServiceRetired, ServiceUpdated

__all__ = [
    "AddSynonyms", "Deps", "Report", "SynonymCache", "add_synonyms", "add_to_rebuild", "begin_rebuild",
    "complete_rebuild", "flush_query_counts", "index_service", "index_status", "list_synonyms", "query_report",
    "register_catalogue", "reindex_service", "remove_service", "remove_synonyms", "request_events",
    "search_services", "set_submission_counts", "suggest_services",
]


def register_catalogue(router: EventRouter) -> None:
    router.register(ServicePublished, index_service)
    router.register(ServiceUpdated, reindex_service)
    router.register(ServiceRetired, remove_service)
