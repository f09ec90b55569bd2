"""Submissions make services popular: the requests service's events, taken in batches, each counted once, with a
fake database and a fake index (no I/O)."""

import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

from services.search.domain.curation import QueryTally
from services.search.handlers import Deps, SynonymCache, request_events
from shared.bus import Delivery, Envelope
from shared.contracts.requests import RequestStatusChanged, Status


class FakeDatabase:
    """The inbox and the counts as committed, and what happened in what order (statements, index writes,
    commits)."""

    def __init__(self) -> None:
        self.claimed: set[tuple[str, str]] = set()
        self.submissions: dict[str, int] = {}
        self.happened: list[tuple[str, Any]] = []
        self.units = 0

    def open(self, *, read_only: bool = False, deadline: float | None = None) -> "FakeUnitOfWork":
        self.units += 1
        return FakeUnitOfWork(self)


class FakePopularity:
    def __init__(self, unit: "FakeUnitOfWork") -> None:
        self._unit = unit

    async def add_submissions(self, counts: Mapping[str, int], now: datetime) -> dict[str, int]:
        self._unit.database.happened.append(("add_submissions", dict(counts)))
        committed = self._unit.database.submissions
        self._unit.submissions = {slug: committed.get(slug, 0) + added for slug, added in counts.items()}
        return dict(self._unit.submissions)


class FakeUnitOfWork:
    """One transaction: what it claims and counts is kept only once it commits."""

    def __init__(self, database: FakeDatabase) -> None:
        self.database = database
        self.popularity = FakePopularity(self)
        self.claims: set[tuple[str, str]] = set()
        self.submissions: dict[str, int] = {}

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        return None

    async def claim_many(self, keys: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
        keys = list(keys)
        self.database.happened.append(("claim_many", len(keys)))
        fresh = set(keys) - self.database.claimed
        self.claims |= fresh
        return fresh

    async def commit(self) -> None:
        self.database.happened.append(("commit", None))
        self.database.claimed |= self.claims
        self.database.submissions |= self.submissions


class FakeIndex:
    def __init__(self, database: FakeDatabase) -> None:
        self.database = database
        self.popularity: dict[str, int] = {}

    async def set_popularity(self, submissions: Mapping[str, int]) -> None:
        self.database.happened.append(("set_popularity", dict(submissions)))
        for slug, count in submissions.items():
            self.popularity[slug] = max(count, self.popularity.get(slug, 0))


def create_deps(database: FakeDatabase) -> tuple[Deps, FakeIndex]:
    index = FakeIndex(database)
    deps = Deps(uow=database.open, engine=index, synonyms=SynonymCache(60),  # type: ignore[arg-type]
                queries=QueryTally(10), query_log_limit=10)
    return deps, index


def create_delivery(service: str, status: Status = "submitted", event_id: str | None = None) -> Delivery:
    event = RequestStatusChanged(tracking_number="ROP-2026-000001-X", service=service, ministry="rop",
                                 citizen="12345678", status=status, previous_status=None, actor="citizen:12345678",
                                 changed_at=datetime.now(UTC))
    envelope = Envelope(type=event.TYPE, source="/requests", data=event.model_dump(mode="json"),
                        id=event_id or str(uuid.uuid4()))
    return Delivery(envelope, "requests.request.status_changed", "search.request-events")


async def test_the_same_submission_twice_in_one_batch_counts_once() -> None:
    database = FakeDatabase()
    deps, index = create_deps(database)
    submitted = create_delivery("birth-certificate")

    await request_events(deps)([submitted, submitted])

    assert database.submissions == {"birth-certificate": 1}
    assert index.popularity == {"birth-certificate": 1}


async def test_a_batch_over_several_services_counts_each_in_one_update_one_index_write_and_one_commit() -> None:
    database = FakeDatabase()
    deps, index = create_deps(database)
    database.submissions = {"passport": 10}

    await request_events(deps)([create_delivery("passport"), create_delivery("visa"), create_delivery("passport"),
                                create_delivery("passport")])

    assert database.submissions == {"passport": 13, "visa": 1}
    assert index.popularity == {"passport": 13, "visa": 1}
    # The index takes the counts before the commit: a crash between the two redelivers the batch, which sets the
    # same counts again (the index never lowers one).
    assert database.happened == [("claim_many", 4), ("add_submissions", {"passport": 3, "visa": 1}),
                                 ("set_popularity", {"passport": 13, "visa": 1}), ("commit", None)]


async def test_a_submission_redelivered_in_a_later_batch_is_not_counted_again() -> None:
    database = FakeDatabase()
    deps, index = create_deps(database)
    first = create_delivery("passport")
    await request_events(deps)([first])

    await request_events(deps)([first, create_delivery("passport")])
    await request_events(deps)([first])

    assert database.submissions == {"passport": 2}
    assert index.popularity == {"passport": 2}


async def test_status_changes_other_than_a_submission_count_nothing_and_open_no_transaction() -> None:
    database = FakeDatabase()
    deps, index = create_deps(database)

    await request_events(deps)([create_delivery("passport", status) for status in ("received", "approved",
                                                                                    "rejected")])
    await request_events(deps)([create_delivery("passport", "received"), create_delivery("visa")])

    assert database.units == 1
    assert database.submissions == {"visa": 1}
    assert index.popularity == {"visa": 1}
