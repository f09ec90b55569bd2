"""Group commit: the writes callers make at about the same time, made by one writer in one transaction."""

import asyncio
import collections
import contextlib
import functools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from shared.db.engine import DatabaseBusy
from shared.db.uow import UnitOfWork, UnitOfWorkFactory, is_timeout
from shared.logging import get_logger

log = get_logger(__name__)
U = TypeVar("U", bound=UnitOfWork)
D = TypeVar("D")
R = TypeVar("R")
# Writes per transaction: a batch's statements stay short beside its commit, and its parameters within a statement's.
MOST_PER_BATCH = 100
# Writes the drafts; answers each with its result, or the error its caller gets (none of its writes made).
WriteMany = Callable[[U, Sequence[D]], Awaitable[Sequence[R | Exception]]]


@dataclass(eq=False)
class _Queued(Generic[D, R]):
    draft: D
    deadline: float
    answer: "asyncio.Future[R]"
    # In a transaction: then the writer answers it, and never commits it after its deadline.
    started: bool = False
    abandoned: bool = False


class GroupCommit(Generic[U, D, R]):
    """Drafts queued by concurrent callers, written by one writer many to a transaction with write_many (a few
    statements for the lot), committed once: one write turn, one commit and one fsync for a burst of submissions.

    write_many answers each draft with its result or its error; it must make no write for a draft it refuses (check,
    then write), so one caller's refusal (an Idempotency-Key in use) is its own. If write_many fails as a whole (a
    value the database refuses), the transaction is rolled back and each draft written again on its own in a
    savepoint, so only the draft at fault fails. Each draft has a deadline (the event loop's time): it is committed
    by then or not at all, and its caller gets DatabaseBusy at its deadline if its transaction has not started by then
    (behind other writes, or another process holding SQLite). A draft may be written again in a later transaction,
    when another in its batch missed its deadline: write_many keeps no state across calls."""

    def __init__(self, open_unit: UnitOfWorkFactory[U], write_many: WriteMany[U, D, R],
                 most: int = MOST_PER_BATCH) -> None:
        self._open, self._write_many, self._most = open_unit, write_many, most
        self._queue: collections.deque[_Queued[D, R]] = collections.deque()
        self._writer: asyncio.Task[None] | None = None

    async def write(self, draft: D, deadline: float) -> R:
        """The draft's result once committed, or its error; DatabaseBusy (nothing written) if not by the deadline."""
        queued: _Queued[D, R] = _Queued(draft, deadline, asyncio.get_running_loop().create_future())
        self._queue.append(queued)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all(), name="group-commit-writer")
        try:
            async with asyncio.timeout_at(deadline):
                return await asyncio.shield(queued.answer)
        except TimeoutError:
            if queued.started:
                return await queued.answer
            queued.abandoned = True
            raise DatabaseBusy("the writes ahead of this one were still being made at its deadline") from None
        except asyncio.CancelledError:
            queued.abandoned = True
            raise

    async def stop(self) -> None:
        """Let the queued writes finish."""
        if self._writer is not None:
            await asyncio.shield(self._writer)

    async def _write_all(self) -> None:
        while self._queue:
            batch: list[_Queued[D, R]] = []
            while self._queue and len(batch) < self._most:
                queued = self._queue.popleft()
                if not queued.abandoned and not queued.answer.done():
                    batch.append(queued)
            try:
                if batch:
                    await self._write(batch)
            except Exception as exc:  # the transaction failed as a whole: each of its callers gets the error
                log.exception("group_commit_failed", drafts=len(batch))
                for queued in batch:
                    _answer(queued, exc)
            except BaseException:  # the writer is cancelled (the process is stopping): no caller is left waiting
                for queued in [*batch, *self._queue]:
                    _answer(queued, DatabaseBusy("the service is stopping"))
                raise

    async def _write(self, batch: list[_Queued[D, R]]) -> None:
        loop = asyncio.get_running_loop()
        try:
            # In one hop: on SQLite the transaction runs whole in a worker thread (UnitOfWork.run), where the
            # callers' futures are not touched.
            async with self._open(deadline=max(queued.deadline for queued in batch)).in_one_hop() as uow:
                now = loop.time()
                writing: list[_Queued[D, R]] = []
                for queued in batch:
                    if now >= queued.deadline:
                        _answer(queued, DatabaseBusy("the write's deadline passed before its turn came"))
                    elif not queued.abandoned:
                        queued.started = True
                        writing.append(queued)
                if not writing:
                    return
                outcomes, late = await uow.run(functools.partial(self._commit, writing=writing))
                if late:
                    # Its caller may have been told it failed: it must not be made after all. The others go again.
                    for queued in late:
                        _answer(queued, DatabaseBusy("the write could not commit before its deadline"))
                    self._again([queued for queued in writing if queued not in late])
                    return
        except DatabaseBusy as exc:
            for queued in batch:
                _answer(queued, exc)
            return
        for queued, outcome in zip(writing, outcomes, strict=True):
            _answer(queued, outcome)

    async def _commit(self, uow: U, writing: list[_Queued[D, R]]
                      ) -> tuple[Sequence[R | Exception], list[_Queued[D, R]]]:
        """The drafts' outcomes, committed; or, not committed, the queued writes whose deadline passed meanwhile."""
        outcomes = await self._outcomes(uow, [queued.draft for queued in writing])
        now = uow.now()
        late = [queued for queued in writing if now >= queued.deadline]
        if not late:
            await uow.commit()
        return outcomes, late

    async def _outcomes(self, uow: U, drafts: list[D]) -> Sequence[R | Exception]:
        try:
            return await self._write_many(uow, drafts)
        except Exception as exc:
            if len(drafts) == 1 or is_timeout(exc):
                raise
            log.warning("group_commit_written_one_by_one", drafts=len(drafts), error=type(exc).__name__)
        # Undone with the transaction, where a savepoint around every batch cost two statements (two round trips on
        # PostgreSQL) for a failure that hardly ever comes.
        await uow.rollback()
        outcomes: list[R | Exception] = []
        for draft in drafts:
            try:
                async with uow.savepoint():
                    outcomes += await self._write_many(uow, [draft])
            except Exception as exc:
                if is_timeout(exc):
                    raise
                outcomes.append(exc)
        return outcomes

    def _again(self, batch: list[_Queued[D, R]]) -> None:
        for queued in reversed(batch):
            queued.started = False
            self._queue.appendleft(queued)


def _answer(queued: _Queued[D, R], outcome: R | Exception) -> None:
    if queued.answer.done():
        return
    if isinstance(outcome, Exception):
        queued.answer.set_exception(outcome)
        # An abandoned caller never retrieves it: not an error to log as never retrieved.
        with contextlib.suppress(BaseException):
            queued.answer.exception()
    else:
        queued.answer.set_result(outcome)
