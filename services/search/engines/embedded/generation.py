"""One physical index ("generation") on disk with its writer; the engine swaps generations on a rebuild."""

from collections.abc import Callable, Sequence
from pathlib import Path

import tantivy

from services.search.domain import is_newer
from services.search.engines.embedded.documents import Versioned, count_of

WRITER_HEAP_BYTES = 32_000_000


class Generation:
    """One physical index and its writer. Its methods block: the engine calls them off the event loop."""

    def __init__(self, path: Path, schema: tantivy.Schema) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.path, self.name, self._schema = path, path.name, schema
        self.index = tantivy.Index(schema, path=str(path), reuse=True)
        self._writer: tantivy.IndexWriter | None = self.index.writer(heap_size=WRITER_HEAP_BYTES, num_threads=1)
        # Bumped when services change (not when only popularity does), so the vocabulary knows it is stale.
        self.revision = 0

    @property
    def writer(self) -> tantivy.IndexWriter:
        if self._writer is None:
            raise RuntimeError(f"index generation {self.name} is closed")
        return self._writer

    def term(self, field: str, value: str) -> tantivy.Query:
        return tantivy.Query.term_query(self._schema, field, value)

    def stored(self, slug: str) -> tantivy.Document | None:
        searcher = self.index.searcher()
        found = searcher.search(self.term("slug", slug), 1, count=False).hits
        return searcher.doc(found[0][1]) if found else None

    def version_of(self, slug: str) -> int | None:
        stored = self.stored(slug)
        version = stored.get_first("version") if stored is not None else None
        return int(version) if version is not None else None

    def replace(self, slug: str, doc: tantivy.Document) -> None:
        self.writer.delete_documents_by_term("slug", slug)
        self.writer.add_document(doc)

    def commit(self) -> None:
        self.writer.commit()
        self.index.reload()

    def apply_if_newer(self, docs: Sequence[Versioned]) -> int:
        """Write each document whose version is above what this index holds; one commit for all. Documents
        are built here, off the event loop, and only those that will be written."""
        newest: dict[str, tuple[int, Callable[[], tantivy.Document]]] = {}
        for slug, version, build in docs:
            if slug not in newest or version > newest[slug][0]:
                newest[slug] = (version, build)
        applied = [(slug, build) for slug, (version, build) in newest.items()
                   if is_newer(version, self.version_of(slug))]
        for slug, build in applied:
            self.replace(slug, build())
        if applied:
            self.commit()
            self.revision += 1
        return len(applied)

    def slugs(self, kind: str) -> list[tuple[str, int]]:
        searcher = self.index.searcher()
        query = self.term("kind", kind)
        found = searcher.search(query, max(searcher.num_docs, 1), count=False).hits
        listed = [searcher.doc(address) for _, address in found]
        return [(str(doc.get_first("slug")), int(doc.get_first("version") or 0)) for doc in listed]

    def count(self, kind: str) -> int:
        return count_of(self.index.searcher().search(self.term("kind", kind), 1, count=True))

    def close(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.wait_merging_threads()
