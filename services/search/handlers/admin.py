"""What portal staff do: curate synonym sets, read the query report, rebuild the index from the catalogue."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from services.search.domain import Conflict, Lang, NotFound, SynonymSet, build_document
from services.search.domain.analysis import analyse
from services.search.domain.curation import synonym_phrases
from services.search.engines import RebuildSummary
from services.search.handlers.deps import Deps
from shared.contracts.catalog import ServiceRecord
from shared.db import utcnow
from shared.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class AddSynonyms:
    lang: Lang
    phrases: list[str]


def _meaning(phrases: tuple[str, ...]) -> frozenset[tuple[str, ...]]:
    return frozenset(tuple(analyse(p)) for p in phrases)


async def list_synonyms(deps: Deps, lang: Lang | None = None) -> list[SynonymSet]:
    async with deps.uow(read_only=True) as uow:
        sets = await uow.synonyms.all()
    return [s for s in sets if lang is None or s.lang == lang]


async def add_synonyms(command: AddSynonyms, deps: Deps) -> SynonymSet:
    phrases = synonym_phrases(command.lang, command.phrases)
    async with deps.uow() as uow:
        if any(_meaning(s.phrases) == _meaning(phrases) for s in await uow.synonyms.all()):
            raise Conflict("synonyms-exist", "A synonym set with these phrases exists already.")
        added = await uow.synonyms.add(command.lang, phrases, utcnow())
        await uow.commit()
    deps.synonyms.invalidate()
    log.info("synonyms_added", synonym_set=added.id, lang=added.lang, phrases=len(phrases))
    return added


async def remove_synonyms(set_id: int, deps: Deps) -> None:
    async with deps.uow() as uow:
        if not await uow.synonyms.remove(set_id):
            raise NotFound("synonyms-not-found", "There is no synonym set with this id.")
        await uow.commit()
    deps.synonyms.invalidate()
    log.info("synonyms_removed", synonym_set=set_id)


async def query_report(limit: int, deps: Deps) -> dict[str, Any]:
    async with deps.uow(read_only=True) as uow:
        return {"most_frequent": await uow.queries.most_frequent(limit),
                "without_results": await uow.queries.without_results(limit),
                "rewritten": await uow.queries.rewritten(limit),
                "queries_kept": await uow.queries.count()}


async def index_status(deps: Deps) -> int:
    return await deps.engine.count()


async def begin_rebuild(deps: Deps) -> str:
    return await deps.engine.begin_rebuild()


async def add_to_rebuild(build: str, records: Sequence[ServiceRecord], deps: Deps) -> int:
    async with deps.uow(read_only=True) as uow:
        popularity = await uow.popularity.of([r.slug for r in records])
    return await deps.engine.add_to_rebuild(
        build, [build_document(r, popularity.get(r.slug, 0), deps.lexicon) for r in records])


async def complete_rebuild(build: str, expected: int, deps: Deps) -> RebuildSummary:
    return await deps.engine.complete_rebuild(build, expected)
