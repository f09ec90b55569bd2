"""Group commit: writes queued at about the same time share one transaction and one commit, each answered with its
own outcome, and none is committed after its deadline."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from types import TracebackType
from typing import Any, Self

import pytest

from shared.db import DatabaseBusy
from shared.db.group_commit import GroupCommit


class Refused(Exception):
    pass


class FakeUnitOfWork:
    """Records what each transaction wrote; savepoints undo what was written inside them when they fail."""

    def __init__(self, database: "FakeDatabase") -> None:
        self.database = database
        self.written: list[str] = []

    def in_one_hop(self) -> Self:
        return self

    async def run(self, work: Any) -> Any:
        return await work(self)

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    async def __aenter__(self) -> Self:
        await self.database.turn.wait()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        return None

    @contextlib.asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        self.database.savepoints += 1
        before = len(self.written)
        try:
            yield
        except BaseException:
            del self.written[before:]
            raise

    async def rollback(self) -> None:
        self.written.clear()

    async def commit(self) -> None:
        self.database.commits.append(list(self.written))


class FakeDatabase:
    def __init__(self) -> None:
        self.commits: list[list[str]] = []
        self.savepoints = 0
        self.turn = asyncio.Event()
        self.turn.set()
        # Drafts write_many takes this long to write (the event loop's time).
        self.slow: dict[str, float] = {}

    def open(self, *, read_only: bool = False, deadline: float | None = None) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)

    async def write_many(self, uow: FakeUnitOfWork, drafts: Sequence[str]) -> list[str | Exception]:
        outcomes: list[str | Exception] = []
        for draft in drafts:
            if draft.startswith("refused"):
                outcomes.append(Refused(draft))
                continue
            if draft.startswith("poison"):
                raise Refused(draft)
            await asyncio.sleep(self.slow.get(draft, 0))
            uow.written.append(draft)
            outcomes.append(f"made {draft}")
        return outcomes


@pytest.fixture
def database() -> FakeDatabase:
    return FakeDatabase()


def group(database: FakeDatabase) -> GroupCommit[Any, str, str]:
    return GroupCommit(database.open, database.write_many)


def soon(seconds: float = 5.0) -> float:
    return asyncio.get_running_loop().time() + seconds


async def outcomes_of(*writes: Any) -> list[object]:
    return list(await asyncio.gather(*writes, return_exceptions=True))


async def test_writes_queued_together_are_committed_in_one_transaction_each_with_its_own_answer(
        database: FakeDatabase) -> None:
    commits = group(database)

    answers = await outcomes_of(*(commits.write(f"request {n}", soon()) for n in range(20)))

    assert answers == [f"made request {n}" for n in range(20)]
    assert database.commits == [[f"request {n}" for n in range(20)]]


async def test_a_batch_written_whole_takes_no_savepoint_and_one_failing_whole_is_written_again_one_by_one(
        database: FakeDatabase) -> None:
    commits = group(database)

    await outcomes_of(*(commits.write(f"request {n}", soon()) for n in range(5)))
    assert database.savepoints == 0

    answers = await outcomes_of(commits.write("a", soon()), commits.write("poison b", soon()))
    assert answers[0] == "made a" and isinstance(answers[1], Refused)
    assert database.savepoints == 2
    assert database.commits[-1] == ["a"]


# Refused by write_many's own checks, or failing the whole batch's writes (then written alone in a savepoint).
@pytest.mark.parametrize("refused", ["refused b", "poison b"])
async def test_a_refused_write_fails_only_its_own_caller_and_the_others_commit_together(
        database: FakeDatabase, refused: str) -> None:
    commits = group(database)

    answers = await outcomes_of(commits.write("a", soon()), commits.write(refused, soon()),
                                commits.write("c", soon()))

    assert answers[0] == "made a" and answers[2] == "made c"
    assert isinstance(answers[1], Refused)
    assert database.commits == [["a", "c"]]


async def test_a_write_whose_deadline_passes_while_queued_is_refused_as_busy_by_its_deadline_and_never_made(
        database: FakeDatabase) -> None:
    commits = group(database)
    database.turn.clear()  # another process holds the database
    loop = asyncio.get_running_loop()
    started = loop.time()

    refused = await outcomes_of(commits.write("a", soon(0.05)), commits.write("b", soon(0.1)))

    assert loop.time() - started < 0.5
    assert all(isinstance(answer, DatabaseBusy) for answer in refused)
    database.turn.set()
    assert await commits.write("c", soon()) == "made c"
    assert database.commits == [["c"]]


async def test_a_write_queued_behind_a_slow_transaction_past_its_deadline_is_busy_and_the_slow_one_commits(
        database: FakeDatabase) -> None:
    commits = group(database)
    database.slow["slow"] = 0.2
    slow = asyncio.create_task(commits.write("slow", soon()))
    await asyncio.sleep(0.05)  # the slow write's transaction is under way

    behind = await outcomes_of(commits.write("behind", soon(0.05)))

    assert isinstance(behind[0], DatabaseBusy)
    assert await slow == "made slow"
    await commits.stop()
    assert database.commits == [["slow"]]


async def test_a_write_that_misses_its_deadline_in_its_transaction_is_not_committed_and_the_others_are(
        database: FakeDatabase) -> None:
    commits = group(database)
    database.slow["slow"] = 0.2

    answers = await outcomes_of(commits.write("early", soon(0.1)), commits.write("slow", soon()),
                                commits.write("later", soon()))

    assert isinstance(answers[0], DatabaseBusy)
    assert answers[1:] == ["made slow", "made later"]
    assert database.commits == [["slow", "later"]]
