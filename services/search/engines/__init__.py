"""One search interface, two engines behind it: embedded (tantivy, on disk) and OpenSearch."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from services.search.domain import IndexedService, PrefixPlan, QueryPlan, SearchResults


@dataclass(frozen=True)
class RebuildSummary:
    build: str
    services: int
    retired: int


class SearchEngine(Protocol):
    """Writes are idempotent by catalogue version: a write the index already holds, or an older one, is
    refused (False), so an event delivered again after a crash changes nothing."""

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def ready(self) -> bool:
        """Whether the index answers; reported as detail by /readyz, never taking the service out."""

    async def version_of(self, slug: str) -> int | None:
        """The newest catalogue version the index has applied for the slug, retired or not."""

    async def put(self, service: IndexedService) -> bool: ...

    async def retire(self, slug: str, version: int) -> bool:
        """Remove the service but keep its version, so a publish that arrives late cannot bring it back."""

    async def set_popularity(self, submissions: Mapping[str, int]) -> None:
        """Each service's count of submissions (a service not in the index is skipped); a count never lowers the
        one the index holds, so setting the same counts again changes nothing."""

    async def search(self, plan: QueryPlan) -> SearchResults: ...

    async def suggest(self, plan: PrefixPlan, limit: int) -> list[IndexedService]: ...

    async def count(self) -> int:
        """How many services can be found."""

    async def begin_rebuild(self) -> str:
        """Start filling a new physical index beside the live one; catalogue events reach both from now."""

    async def add_to_rebuild(self, build: str, services: Sequence[IndexedService]) -> int: ...

    async def complete_rebuild(self, build: str, expected: int) -> RebuildSummary:
        """Swap the new index in if it holds at least `expected` services; the old one is dropped."""
