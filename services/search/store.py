"""The search index's storage, behind SearchIndex so a real engine (tantivy, OpenSearch) can replace it."""

from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, Text, delete, insert, select, update
from sqlalchemy.engine import Row

from services.search.domain import Document, SearchQuery, SearchResults, run_search, suggest
from shared.contracts.base import Bilingual
from shared.db import UnitOfWork, UtcDateTime, inbox_table, outbox_table, utcnow

MIGRATIONS = Path(__file__).parent / "migrations"
metadata = MetaData()

indexed_services = Table(
    "indexed_services", metadata,
    Column("slug", String(80), primary_key=True),
    Column("ministry", String(16), nullable=False, index=True),
    Column("ministry_name_ar", String(200), nullable=False),
    Column("ministry_name_en", String(200), nullable=False),
    Column("title_ar", Text, nullable=False),
    Column("title_en", Text, nullable=False),
    Column("description_ar", Text, nullable=False),
    Column("description_en", Text, nullable=False),
    Column("keywords", JSON, nullable=False),
    Column("maturity", String(20), nullable=False),
    Column("life_events", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    # Space-separated normalised terms, so queries never re-analyse the stored text.
    Column("title_terms", Text, nullable=False),
    Column("keyword_terms", Text, nullable=False),
    Column("description_terms", Text, nullable=False),
    Column("indexed_at", UtcDateTime(), nullable=False),
)

# A retired service leaves its last version behind, so a publish that arrives late cannot bring it back.
retired_services = Table(
    "retired_services", metadata,
    Column("slug", String(80), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("retired_at", UtcDateTime(), nullable=False),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)


class SearchIndex(Protocol):
    async def version_of(self, slug: str) -> int | None:
        """The newest catalogue version the index has applied for the slug, retired or not."""

    async def put(self, document: Document) -> None: ...

    async def remove(self, slug: str, version: int) -> None: ...

    async def search(self, query: SearchQuery) -> SearchResults: ...

    async def suggest(self, text: str) -> list[Document]: ...


def _terms(terms: frozenset[str]) -> str:
    return " ".join(sorted(terms))


def _document(row: Row[Any]) -> Document:
    return Document(
        slug=row.slug, ministry=row.ministry,
        ministry_name=Bilingual(ar=row.ministry_name_ar, en=row.ministry_name_en),
        title=Bilingual(ar=row.title_ar, en=row.title_en),
        description=Bilingual(ar=row.description_ar, en=row.description_en),
        keywords=tuple(row.keywords), maturity=row.maturity, life_events=tuple(row.life_events),
        version=row.version, title_terms=frozenset(row.title_terms.split()),
        keyword_terms=frozenset(row.keyword_terms.split()),
        description_terms=frozenset(row.description_terms.split()),
    )


class SqlSearchIndex:
    """The embedded engine: rows in the service's own database, scored in Python by the domain.

    Loading every candidate row and scoring it in the process is fine for this foundation: the whole
    catalogue is hundreds to a few thousand services. Filters on plain columns are pushed into SQL.
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def version_of(self, slug: str) -> int | None:
        connection = self._uow.connection
        versions = [
            (await connection.execute(select(table.c.version).where(table.c.slug == slug))).scalar()
            for table in (indexed_services, retired_services)
        ]
        return max((v for v in versions if v is not None), default=None)

    async def put(self, document: Document) -> None:
        values = {
            "ministry": document.ministry,
            "ministry_name_ar": document.ministry_name.ar, "ministry_name_en": document.ministry_name.en,
            "title_ar": document.title.ar, "title_en": document.title.en,
            "description_ar": document.description.ar, "description_en": document.description.en,
            "keywords": list(document.keywords), "maturity": document.maturity,
            "life_events": list(document.life_events), "version": document.version,
            "title_terms": _terms(document.title_terms), "keyword_terms": _terms(document.keyword_terms),
            "description_terms": _terms(document.description_terms), "indexed_at": utcnow(),
        }
        connection = self._uow.connection
        changed = await connection.execute(
            update(indexed_services).where(indexed_services.c.slug == document.slug).values(**values))
        if changed.rowcount == 0:
            await connection.execute(insert(indexed_services).values(slug=document.slug, **values))
        await connection.execute(delete(retired_services).where(retired_services.c.slug == document.slug))

    async def remove(self, slug: str, version: int) -> None:
        connection = self._uow.connection
        await connection.execute(delete(indexed_services).where(indexed_services.c.slug == slug))
        changed = await connection.execute(update(retired_services).where(retired_services.c.slug == slug)
                                           .values(version=version, retired_at=utcnow()))
        if changed.rowcount == 0:
            await connection.execute(insert(retired_services).values(slug=slug, version=version,
                                                                     retired_at=utcnow()))

    async def search(self, query: SearchQuery) -> SearchResults:
        statement = select(indexed_services)
        if query.ministry:
            statement = statement.where(indexed_services.c.ministry == query.ministry)
        if query.maturity:
            statement = statement.where(indexed_services.c.maturity == query.maturity)
        rows = await self._uow.connection.execute(statement)
        return run_search([_document(row) for row in rows], query)

    async def suggest(self, text: str) -> list[Document]:
        rows = await self._uow.connection.execute(select(indexed_services))
        return suggest([_document(row) for row in rows], text)


class SearchUnitOfWork(UnitOfWork):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.index: SearchIndex = SqlSearchIndex(self)
