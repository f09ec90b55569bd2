"""The dead-letter desk: every message any portal queue gave up on, kept with its reason for staff to act on."""

import json
from dataclasses import dataclass
from typing import Any

from services.requests.domain import Conflict, NotFound, Unavailable
from services.requests.handlers.deps import Deps
from services.requests.store import DeadLetterRow, RequestsUnitOfWork
from shared.bus import PublishFailed, RawDelivery
from shared.bus.ports import dead_letter_facts
from shared.logging import get_logger

log = get_logger(__name__)
REPLAY_BATCH = 1000


def _scalar_headers(headers: dict[str, Any]) -> dict[str, Any]:
    """The headers as JSON can keep them: broker tables (x-death) become text."""
    kept: dict[str, Any] = {}
    for key, value in headers.items():
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        kept[key] = value if isinstance(value, str | int | float | bool) or value is None else str(value)
    return kept


def _envelope_facts(body: bytes) -> tuple[str | None, str | None]:
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None, None
    if not isinstance(parsed, dict):
        return None, None
    kind, subject = parsed.get("type"), parsed.get("subject")
    return (str(kind)[:200] if kind else None), (str(subject)[:200] if subject else None)


async def record_dead_letter(message: RawDelivery, deps: Deps) -> None:
    facts = dead_letter_facts(message)
    event_type, subject = _envelope_facts(message.body)
    row = DeadLetterRow(id=facts.id, queue=facts.queue, routing_key=facts.routing_key, reason=facts.reason,
                        sender=facts.sender, message_id=message.message_id, event_type=event_type, subject=subject,
                        body=message.body, headers=_scalar_headers(message.headers), received_at=deps.clock(),
                        status="pending", resolved_at=None, resolved_by=None, resolution_note=None)
    async with deps.uow() as uow:
        added = await uow.dead_letters.add(row)
        await uow.commit()
    if added:
        log.warning("dead_letter_kept", queue=row.queue, event_type=row.event_type, reason=row.reason)


@dataclass(frozen=True)
class DeadLetterQuery:
    queue: str | None = None
    status: str | None = "pending"
    limit: int = 50
    offset: int = 0


async def list_dead_letters(query: DeadLetterQuery, deps: Deps) -> tuple[int, dict[str, int], list[DeadLetterRow]]:
    async with deps.uow(read_only=True) as uow:
        total, rows = await uow.dead_letters.listing(queue=query.queue, status=query.status, limit=query.limit,
                                                     offset=query.offset)
        return total, await uow.dead_letters.pending_per_queue(), rows


async def dead_letter(id_: str, deps: Deps) -> DeadLetterRow:
    async with deps.uow(read_only=True) as uow:
        row = await uow.dead_letters.get(id_)
    if row is None:
        raise NotFound("dead-letter-not-found", f"No dead letter {id_}.")
    return row


@dataclass(frozen=True)
class ResolveDeadLetter:
    id: str
    actor: str
    note: str | None = None


async def _pending(uow: RequestsUnitOfWork, id_: str) -> DeadLetterRow:
    row = await uow.dead_letters.get(id_, for_update=True)
    if row is None:
        raise NotFound("dead-letter-not-found", f"No dead letter {id_}.")
    if row.status != "pending":
        raise Conflict("dead-letter-resolved", f"This dead letter was already {row.status}.",
                       resolved_by=row.resolved_by)
    return row


async def replay_dead_letter(command: ResolveDeadLetter, deps: Deps) -> DeadLetterRow:
    """Back onto the queue it came from, marked as a replay; the consumer's inbox keeps it from applying twice."""
    at = deps.clock()
    async with deps.uow() as uow:
        row = await _pending(uow, command.id)
        if not row.queue:
            raise Conflict("dead-letter-origin-unknown", "Nobody knows which queue this message came from.")
        await uow.dead_letters.resolve(row.id, "replayed", command.actor, command.note, at)
        try:
            await deps.bus.replay(RawDelivery(row.body, row.routing_key, row.headers, row.sender, row.message_id),
                                  row.queue, replay_of=row.id)
        except PublishFailed as exc:
            raise Unavailable("replay-failed", f"The broker did not take the replay to {row.queue}: {exc}") from exc
        await uow.commit()
    log.info("dead_letter_replayed", queue=row.queue, event_type=row.event_type)
    return DeadLetterRow(**(row.__dict__ | {"status": "replayed", "resolved_at": at, "resolved_by": command.actor,
                                            "resolution_note": command.note}))


async def replay_queue(queue: str, actor: str, deps: Deps) -> int:
    """Every pending dead letter of one queue, oldest first, each replayed on its own."""
    async with deps.uow(read_only=True) as uow:
        ids = await uow.dead_letters.pending_ids(queue, REPLAY_BATCH)
    replayed = 0
    for id_ in ids:
        try:
            await replay_dead_letter(ResolveDeadLetter(id_, actor), deps)
        except Conflict:
            continue
        replayed += 1
    return replayed


async def discard_dead_letter(command: ResolveDeadLetter, deps: Deps) -> DeadLetterRow:
    at = deps.clock()
    async with deps.uow() as uow:
        row = await _pending(uow, command.id)
        await uow.dead_letters.resolve(row.id, "discarded", command.actor, command.note, at)
        await uow.commit()
    log.info("dead_letter_discarded", queue=row.queue, event_type=row.event_type)
    return DeadLetterRow(**(row.__dict__ | {"status": "discarded", "resolved_at": at, "resolved_by": command.actor,
                                            "resolution_note": command.note}))
