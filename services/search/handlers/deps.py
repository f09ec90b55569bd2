"""What every handler gets: the unit of work, the engine, and the in-memory synonym and query state."""

from collections.abc import Iterable
from dataclasses import dataclass

from services.search.domain import SynonymIndex, SynonymSet
from services.search.domain.curation import QueryTally
from services.search.domain.understanding import Lexicon
from services.search.engines import SearchEngine
from services.search.store import SearchUnitOfWork
from shared.caching import KeptFor
from shared.db import UnitOfWorkFactory


class SynonymCache:
    """The staff synonym sets, read from the database at most every `refresh_seconds` (and at once after a
    change on this replica), so no search waits on the database for them."""

    def __init__(self, refresh_seconds: float) -> None:
        self._fresh: KeptFor[str, bool] = KeptFor(refresh_seconds, most=1)
        self.index = SynonymIndex()

    @property
    def stale(self) -> bool:
        return self._fresh.get("loaded") is None

    def replace(self, sets: Iterable[SynonymSet]) -> None:
        self.index = SynonymIndex(sets)
        self._fresh.put("loaded", True)

    def invalidate(self) -> None:
        self._fresh.forget()


@dataclass(frozen=True)
class Deps:
    uow: UnitOfWorkFactory[SearchUnitOfWork]
    engine: SearchEngine
    synonyms: SynonymCache
    queries: QueryTally
    query_log_limit: int
    # The query-understanding lexicon; None runs the plain engine (the stemmer only), as the bench's baseline.
    lexicon: Lexicon | None = None
