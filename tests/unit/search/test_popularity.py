"""Submissions make services popular: the requests service's reports of each service's total, taken in batches, each
applied once and never lowering a count, with a fake database and a fake index (no I/O)."""

import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

from services.search.domain.curation import QueryTally
from services.search.handlers import Deps, SynonymCache, request_events
from shared.bus import Delivery, Envelope
from shared.contracts.requests import RequestStatusChanged, Status, SubmissionsCounted


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

    async def raise_to(self, totals: Mapping[str, int], now: datetime) -> dict[str, int]:
        self._unit.database.happened.append(("raise_to", dict(totals)))
        committed = self._unit.database.submissions
        self._unit.submissions = {slug: max(committed.get(slug, 0), total) for slug, total in totals.items()}
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


def create_report(event_id: str | None = None, **submissions: int) -> Delivery:
    event = SubmissionsCounted(submissions={slug.replace("_", "-"): n for slug, n in submissions.items()},
                               counted_at=datetime.now(UTC))
    envelope = Envelope(type=event.TYPE, source="/requests", data=event.model_dump(mode="json"),
                        id=event_id or str(uuid.uuid4()))
    return Delivery(envelope, "requests.submissions.counted", "search.request-events")


def create_status_change(service: str, status: Status = "submitted") -> Delivery:
    event = RequestStatusChanged(tracking_number="ROP-2026-000001-X", service=service, ministry="rop",
                                 citizen="12345678", status=status, previous_status=None, actor="citizen:12345678",
                                 changed_at=datetime.now(UTC))
    envelope = Envelope(type=event.TYPE, source="/requests", data=event.model_dump(mode="json"))
    return Delivery(envelope, "requests.request.status_changed", "search.request-events")


async def test_the_same_report_twice_in_one_batch_is_applied_once() -> None:
    database = FakeDatabase()
    deps, index = create_deps(database)
    report = create_report(birth_certificate=4)

    await request_events(deps)([report, report])

    assert database.submissions == {"birth-certificate": 4}
    assert index.popularity == {"birth-certificate": 4}
    assert database.happened[0] == ("claim_many", 2)


async def test_a_batch_of_reports_takes_each_services_highest_total_in_one_update_one_index_write_and_one_commit(
        ) -> None:
    database = FakeDatabase()
    deps, index = create_deps(database)
    database.submissions = {"passport": 10}

    await request_events(deps)([create_report(passport=12, visa=1), create_report(passport=11),
                                create_report(passport=13)])

    assert database.submissions == {"passport": 13, "visa": 1}
    assert index.popularity == {"passport": 13, "visa": 1}
    # The index takes the counts before the commit: a crash between the two redelivers the batch, which sets the
    # same counts again (the index never lowers one).
    assert database.happened == [("claim_many", 3), ("raise_to", {"passport": 13, "visa": 1}),
                                 ("set_popularity", {"passport": 13, "visa": 1}), ("commit", None)]


async def test_a_report_older_than_the_count_kept_lowers_nothing() -> None:
    database = FakeDatabase()
    deps, index = create_deps(database)
    await request_events(deps)([create_report(passport=5)])

    await request_events(deps)([create_report(passport=3)])

    assert database.submissions == {"passport": 5}
    assert index.popularity == {"passport": 5}


async def test_a_report_redelivered_in_a_later_batch_is_not_applied_again() -> None:
    database = FakeDatabase()
    deps, _ = create_deps(database)
    first = create_report(passport=2)
    await request_events(deps)([first])

    await request_events(deps)([first])

    assert [step for step, _ in database.happened].count("raise_to") == 1


async def test_status_changes_queued_before_the_upgrade_are_passed_over_and_open_no_transaction() -> None:
    database = FakeDatabase()
    deps, index = create_deps(database)

    await request_events(deps)([create_status_change("passport", status) for status in ("submitted", "received")])
    await request_events(deps)([create_status_change("passport"), create_report(visa=1)])

    assert database.units == 1
    assert database.submissions == {"visa": 1}
    assert index.popularity == {"visa": 1}
