from fastapi import FastAPI

from services.search import handlers
from services.search.api import problem, router
from services.search.config import Settings
from services.search.domain import SearchError
from services.search.domain.curation import QueryTally
from services.search.engines import SearchEngine
from services.search.engines.embedded import EmbeddedEngine
from services.search.handlers import Deps, SynonymCache
from services.search.lexicon import load_lexicon
from services.search.store import MIGRATIONS, SearchUnitOfWork, metadata
from shared.bus.dispatch import EventRouter
from shared.bus.topology import SEARCH_CATALOG, SEARCH_REQUESTS
from shared.logging import configure_logging
from shared.periodic import Every
from shared.runtime import Runtime

SERVICE = "search"


def create_search_engine(settings: Settings) -> SearchEngine:
    if settings.engine == "embedded":
        return EmbeddedEngine(settings.embedded_index_dir())
    # The OpenSearch client (with aiohttp, requests and urllib3, some 20 MB resident) only where it is the engine.
    from opensearchpy import AsyncOpenSearch

    from services.search.engines.opensearch import OpenSearchEngine

    password = settings.opensearch_password.get_secret_value() if settings.opensearch_password else None
    client = AsyncOpenSearch(
        hosts=[settings.opensearch_url], verify_certs=settings.opensearch_verify_certs,
        ca_certs=settings.opensearch_ca_certs, timeout=settings.opensearch_timeout_seconds,
        http_auth=(settings.opensearch_username, password) if settings.opensearch_username else None)
    return OpenSearchEngine(client, settings.opensearch_alias)


def create_app(settings: Settings | None = None, engine: SearchEngine | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(SERVICE, settings.log_level)
    runtime = Runtime(SERVICE, settings, metadata, MIGRATIONS)
    deps = Deps(uow=runtime.unit_of_work(SearchUnitOfWork), engine=engine or create_search_engine(settings),
                synonyms=SynonymCache(settings.synonyms_refresh_seconds), queries=QueryTally(settings.query_log_limit),
                query_log_limit=settings.query_log_limit,
                lexicon=load_lexicon() if settings.understanding else None)
    catalogue_events = EventRouter(deps)
    handlers.register_catalogue(catalogue_events)
    request_events = handlers.request_events(deps)
    query_counts = Every(settings.query_log_flush_seconds, lambda: handlers.flush_query_counts(deps),
                         "search-query-counts", on_stop=True)

    async def started() -> None:
        await deps.engine.start()
        query_counts.start()
        await runtime.consume(SEARCH_CATALOG, catalogue_events)
        await runtime.consume_in_batches(SEARCH_REQUESTS, request_events, prefetch=settings.popularity_batch,
                                         linger=settings.popularity_linger_seconds)

    async def stopping() -> None:
        await query_counts.stop()
        await deps.engine.close()

    return runtime.create_app("Search service", router, deps, started=started, stopping=stopping,
                              domain_errors=(SearchError, problem),
                              dependencies={"search_engine": deps.engine.ready})
