"""New requests written in the caller's unit of work: a submission, a batch of them, an offer taken up."""

import collections
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.requests.domain import (
    Conflict,
    Invalid,
    RequestError,
    stored_fields,
    takes_requests_online,
    validate_fields,
)
from services.requests.domain.calendar import WorkingCalendar
from services.requests.domain.idempotency import still_kept
from services.requests.store import KeptAnswer, RequestRow, RequestsUnitOfWork
from shared.auth import Identity
from shared.bus.topology import EVENTS, STATUS_CHANGED, TO_MINISTRIES
from shared.contracts.catalog import ServiceRecord
from shared.contracts.requests import Applicant, RequestStatusChanged, RequestSubmitted
from shared.contracts.tracking import format_tracking_number
from shared.tracing import outgoing_headers


@dataclass(frozen=True)
class Submitted:
    tracking_number: str
    status: str
    # The first answer to this Idempotency-Key, given again: no second request was made.
    replayed: bool = False


@dataclass(frozen=True)
class NewRequest:
    service: ServiceRecord
    fields: dict[str, Any]
    citizen: Identity
    at: datetime
    due_on: datetime
    # The submitter's trace, taken where it is made: the writer that writes it serves many traces.
    trace: dict[str, str] = field(default_factory=outgoing_headers)


@dataclass(frozen=True)
class Submission:
    """A submission checked and waiting for its transaction; with an Idempotency-Key, `answers` is its fingerprint."""

    new: NewRequest
    key: str | None = None
    answers: str = ""


def status_changed(row: RequestRow, status: str, previous: str | None, actor: str, note: str | None,
                   at: datetime, fields_to_correct: list[str] | None = None) -> RequestStatusChanged:
    return RequestStatusChanged(tracking_number=row.tracking_number, service=row.service, ministry=row.ministry,
                                citizen=row.citizen, lang="en" if row.lang == "en" else "ar",
                                status=status, previous_status=previous,
                                note=note, actor=actor, changed_at=at, fields_to_correct=fields_to_correct or [])


def check_submission(service: ServiceRecord, fields: dict[str, Any]) -> dict[str, Any]:
    """The answers as they will be kept, or why they cannot be."""
    if not takes_requests_online(service):
        raise Conflict("service-not-online", "This service is handled in person; see its page for where to go.")
    errors = validate_fields(service, fields)
    if errors:
        raise Invalid("invalid-fields", "Some answers need correcting.", errors=[e.as_dict() for e in errors])
    return stored_fields(service, fields)


async def create_requests(uow: RequestsUnitOfWork, new: Sequence[NewRequest]) -> list[RequestRow]:
    """New requests in the caller's unit of work, numbered in order, on their way to the ministries' queues once
    committed: a few statements however many there are."""
    if not new:
        return []
    numbers = await uow.requests.take_numbers(collections.Counter((n.service.ministry, n.at.year) for n in new))
    rows, traces = [], []
    for n in new:
        service, citizen = n.service, n.citizen
        sequence = numbers[service.ministry, n.at.year]
        numbers[service.ministry, n.at.year] = sequence + 1
        rows.append(RequestRow(
            tracking_number=format_tracking_number(service.ministry, n.at.year, sequence), service=service.slug,
            service_version=service.version, ministry=service.ministry, citizen=citizen.subject,
            citizen_name=citizen.name, lang=citizen.lang, status="submitted", fields=n.fields, submitted_at=n.at,
            updated_at=n.at, due_on=n.due_on))
        traces.append(n.trace)
    await uow.requests.add(rows, actor="citizen")
    for row, trace in zip(rows, traces, strict=True):
        applicant = Applicant(national_id=row.citizen, name=row.citizen_name, lang="en" if row.lang == "en" else "ar")
        await uow.publish(
            RequestSubmitted(tracking_number=row.tracking_number, service=row.service,
                             service_version=row.service_version, ministry=row.ministry, applicant=applicant,
                             fields=row.fields, submitted_at=row.submitted_at, due_on=row.due_on),
            exchange=TO_MINISTRIES, routing_key=f"{row.ministry}.request.submitted", subject=row.tracking_number,
            trace_context=trace)
        await uow.publish(status_changed(row, "submitted", None, "citizen", None, row.submitted_at), exchange=EVENTS,
                          routing_key=STATUS_CHANGED, subject=row.tracking_number,
                          trace_context=trace)
    return rows


async def create_request(uow: RequestsUnitOfWork, service: ServiceRecord, fields: dict[str, Any],
                         citizen: Identity, at: datetime, calendar: WorkingCalendar) -> RequestRow:
    """A new request in the caller's unit of work, on its way to the ministry's queue once committed."""
    due_on = calendar.add_working_days(at, service.target_days)
    return (await create_requests(uow, [NewRequest(service, fields, citizen, at, due_on)]))[0]


async def write_submissions(uow: RequestsUnitOfWork, submissions: Sequence[Submission]
                            ) -> list[Submitted | Exception]:
    """Submissions made together (GroupCommit): each Idempotency-Key checked first, a refused one writing nothing;
    then every new request in one go."""
    outcomes: list[Submitted | Exception | None] = [None] * len(submissions)
    holders: dict[tuple[str, str], int] = {}
    repeats: list[tuple[int, int]] = []
    new: list[int] = []
    for index, submission in enumerate(submissions):
        key, citizen = submission.key, submission.new.citizen.subject
        if key is not None:
            holder = holders.get((citizen, key))
            if holder is not None:
                # The same key twice at once (an app's retry): the later is answered with the first's request.
                repeats.append((index, holder))
                continue
            try:
                kept = await _kept_answer(uow, citizen, key, submission.answers, submission.new.at)
            except RequestError as error:
                outcomes[index] = error
                continue
            if kept is not None:
                outcomes[index] = kept
                continue
            holders[citizen, key] = index
        new.append(index)
    rows = await create_requests(uow, [submissions[index].new for index in new])
    for index, row in zip(new, rows, strict=True):
        outcomes[index] = Submitted(row.tracking_number, row.status)
        submission = submissions[index]
        if submission.key is not None:
            await uow.idempotency.answer(row.citizen, submission.key, 201,
                                         {"tracking_number": row.tracking_number, "status": row.status})
    for index, holder in repeats:
        first = outcomes[holder]
        outcomes[index] = _reused() if submissions[index].answers != submissions[holder].answers else \
            Submitted(first.tracking_number, first.status, replayed=True) if isinstance(first, Submitted) else first
    return [outcome for outcome in outcomes if outcome is not None]


async def _kept_answer(uow: RequestsUnitOfWork, citizen: str, key: str, answers: str, at: datetime
                       ) -> Submitted | None:
    """The first answer to this key, or None once this submission holds the key (it answers it)."""
    if await uow.idempotency.take(citizen, key, answers, at):
        return None
    kept = await uow.idempotency.get(citizen, key)
    if kept is None or not still_kept(kept.created_at, at):
        await uow.idempotency.forget(citizen, key)
        await uow.idempotency.take(citizen, key, answers, at)
        return None
    replayed = replayed_answer(kept, answers, at)
    if replayed is None:
        raise Conflict("idempotency-key-in-use", "A submission with this Idempotency-Key is still in progress.")
    return replayed


def replayed_answer(kept: KeptAnswer | None, answers: str, at: datetime) -> Submitted | None:
    """The first answer kept for this key, if it has one; a conflict if the key was used for other answers."""
    if kept is None or not still_kept(kept.created_at, at):
        return None
    if kept.fingerprint != answers:
        raise _reused()
    if kept.response is None:
        return None
    return Submitted(str(kept.response["tracking_number"]), str(kept.response["status"]), replayed=True)


def _reused() -> Conflict:
    return Conflict("idempotency-key-reused", "This Idempotency-Key was already used for a different submission; "
                    "use a new key for new answers.")
