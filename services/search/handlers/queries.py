"""Citizens' searches and autocomplete; the queries they run are counted for staff, without identities."""

from services.search.domain import (
    SUGGESTIONS,
    IndexedService,
    SearchQuery,
    SearchResults,
    SynonymIndex,
    plan_prefix,
    plan_query,
)
from services.search.handlers.deps import Deps
from shared.db import utcnow
from shared.logging import get_logger

log = get_logger(__name__)


async def _synonyms(deps: Deps) -> SynonymIndex:
    if deps.synonyms.stale:
        async with deps.uow(read_only=True) as uow:
            deps.synonyms.replace(await uow.synonyms.all())
    return deps.synonyms.index


async def search_services(query: SearchQuery, deps: Deps) -> SearchResults:
    plan = plan_query(query, await _synonyms(deps), deps.lexicon)
    results = await deps.engine.search(plan)
    if query.page == 1 and not query.is_blank:
        deps.queries.record(query.text, results.total, deps.lexicon)
    return results


async def suggest_services(text: str, deps: Deps) -> list[IndexedService]:
    return await deps.engine.suggest(plan_prefix(text), SUGGESTIONS)


async def flush_query_counts(deps: Deps) -> None:
    """Write the counts gathered since the last flush, then forget the oldest queries beyond the limit.

    Counts gathered in memory are lost if the process dies before a flush: a few seconds of statistics.
    """
    counts = deps.queries.take()
    if not counts:
        return
    async with deps.uow() as uow:
        await uow.queries.add(counts, utcnow())
        forgotten = await uow.queries.keep_latest(deps.query_log_limit)
        await uow.commit()
    log.info("query_counts_written", queries=len(counts), forgotten=forgotten, dropped=deps.queries.dropped)
