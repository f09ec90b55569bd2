"""The search service's own tables: synonym sets, query counts, popularity, inbox. The index is elsewhere.

The index (engines/) is rebuildable from the catalogue; what lives here is what staff and citizens
produce and cannot be rebuilt: synonyms, the queries run, and how often each service was requested.
"""

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, case, delete, desc, func, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from services.search.domain import SynonymSet
from services.search.domain.curation import QueryCount
from shared.db import UnitOfWork, UtcDateTime, inbox_table, outbox_table

MIGRATIONS = Path(__file__).parent / "migrations"
metadata = MetaData()

synonym_sets = Table(
    "synonym_sets", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("lang", String(2), nullable=False),
    Column("phrases", JSON, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

# Normalised query text only: never who searched, and never a word that could be an identity number.
search_queries = Table(
    "search_queries", metadata,
    Column("query", String(200), primary_key=True),
    Column("searches", Integer, nullable=False),
    Column("without_results", Integer, nullable=False),
    Column("last_searched_at", UtcDateTime(), nullable=False, index=True),
    # How query understanding rewrote it, as last searched: staff read these to grow the lexicon.
    Column("rewritten", String(400), nullable=True),
)

service_popularity = Table(
    "service_popularity", metadata,
    Column("slug", String(80), primary_key=True),
    Column("submissions", Integer, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)


def _upsert(uow: UnitOfWork, table: Table, key: Column[Any], adding: tuple[str, ...], set_: dict[str, Any],
            replacing: tuple[str, ...] = ()) -> Any:
    """An insert that, where the key exists, adds the new row's `adding` columns to the stored ones, takes its
    `replacing` columns and sets `set_`: two replicas writing the same key at once never collide, and many
    rows go in one statement."""
    statement = (postgresql_insert(table) if uow.connection.dialect.name == "postgresql" else sqlite_insert(table))
    return statement.on_conflict_do_update(index_elements=[key], set_={
        **{name: table.c[name] + statement.excluded[name] for name in adding},
        **{name: statement.excluded[name] for name in replacing}, **set_})


def _synonym_set(row: Any) -> SynonymSet:
    return SynonymSet(id=row.id, lang=row.lang, phrases=tuple(row.phrases))


class SynonymSets:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def all(self) -> list[SynonymSet]:
        rows = await self._uow.connection.execute(select(synonym_sets).order_by(synonym_sets.c.id))
        return [_synonym_set(row) for row in rows]

    async def add(self, lang: str, phrases: tuple[str, ...], now: datetime) -> SynonymSet:
        added = await self._uow.connection.execute(
            insert(synonym_sets).values(lang=lang, phrases=list(phrases), created_at=now).returning(synonym_sets.c.id))
        return SynonymSet(id=added.scalar_one(), lang="ar" if lang == "ar" else "en", phrases=phrases)

    async def remove(self, set_id: int) -> bool:
        removed = await self._uow.connection.execute(delete(synonym_sets).where(synonym_sets.c.id == set_id))
        return bool(removed.rowcount)


class SearchQueries:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def add(self, counts: Mapping[str, QueryCount], now: datetime) -> None:
        t = search_queries
        statement = _upsert(self._uow, t, t.c.query, ("searches", "without_results"), {"last_searched_at": now},
                            replacing=("rewritten",))
        await self._uow.connection.execute(statement, [
            {"query": query, "searches": c.searches, "without_results": c.without_results, "last_searched_at": now,
             "rewritten": c.rewritten} for query, c in counts.items()])

    async def keep_latest(self, limit: int) -> int:
        """Forget all but the `limit` most recently searched queries."""
        t = search_queries
        kept = select(t.c.query).order_by(desc(t.c.last_searched_at), t.c.query).limit(limit)
        removed = await self._uow.connection.execute(delete(t).where(t.c.query.not_in(kept.scalar_subquery())))
        return int(removed.rowcount or 0)

    async def most_frequent(self, limit: int) -> list[dict[str, Any]]:
        return await self._listed(search_queries.c.searches, limit)

    async def without_results(self, limit: int) -> list[dict[str, Any]]:
        return await self._listed(search_queries.c.without_results, limit)

    async def rewritten(self, limit: int) -> list[dict[str, Any]]:
        """The queries understanding rewrote, most searched first, with how."""
        t = search_queries
        rows = await self._uow.connection.execute(
            select(t).where(t.c.rewritten.is_not(None))
            .order_by(desc(t.c.searches), desc(t.c.last_searched_at), t.c.query).limit(limit))
        return [dict(row._mapping) for row in rows]

    async def _listed(self, by: Any, limit: int) -> list[dict[str, Any]]:
        t = search_queries
        rows = await self._uow.connection.execute(
            select(t).where(by > 0).order_by(desc(by), desc(t.c.last_searched_at), t.c.query).limit(limit))
        return [dict(row._mapping) for row in rows]

    async def count(self) -> int:
        return int(await self._uow.connection.scalar(select(func.count()).select_from(search_queries)) or 0)


class Popularity:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def raise_to(self, totals: Mapping[str, int], now: datetime) -> dict[str, int]:
        """Each service's count raised to its reported total (never lowered: a late report is an older total);
        returns each one's count after. One statement for the lot, its rows in slug order, so replicas writing the
        same services at once lock them in the same order."""
        t = service_popularity
        insert_ = postgresql_insert(t) if self._uow.connection.dialect.name == "postgresql" else sqlite_insert(t)
        kept = t.c.submissions
        statement = insert_.on_conflict_do_update(index_elements=[t.c.slug], set_={
            "submissions": case((insert_.excluded.submissions > kept, insert_.excluded.submissions), else_=kept),
            "updated_at": now})
        rows = await self._uow.connection.execute(
            statement.returning(t.c.slug, t.c.submissions),
            [{"slug": slug, "submissions": total, "updated_at": now} for slug, total in sorted(totals.items())])
        return {row.slug: row.submissions for row in rows}

    async def of(self, slugs: list[str]) -> dict[str, int]:
        t = service_popularity
        rows = await self._uow.connection.execute(select(t.c.slug, t.c.submissions).where(t.c.slug.in_(slugs)))
        return {row.slug: row.submissions for row in rows}


class SearchUnitOfWork(UnitOfWork):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.synonyms = SynonymSets(self)
        self.queries = SearchQueries(self)
        self.popularity = Popularity(self)
