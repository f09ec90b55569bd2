import asyncio
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from services.requests.domain import (
    Conflict,
    Invalid,
    Mover,
    NotFound,
    Outcome,
    RequestError,
    check_move,
    check_mover,
    fields_not_asked,
    parse_tracking_number,
    stored_fields,
    validate_fields,
)
from services.requests.domain.idempotency import fingerprint
from services.requests.handlers.catalogue import published_service
from services.requests.handlers.deps import Deps
from services.requests.handlers.documents import IssueDocument, keep_document
from services.requests.handlers.insights import offer_next_service
from services.requests.handlers.new_requests import (
    NewRequest,
    Submission,
    Submitted,
    check_submission,
    replayed_answer,
    status_changed,
)
from services.requests.store import HistoryRow, RatingRow, RequestRow, RequestsUnitOfWork
from shared.auth import Identity
from shared.bus import Rejected
from shared.bus.dispatch import Inbound
from shared.bus.topology import EVENTS, STATUS_CHANGED, ministry_broker_user
from shared.contracts.ministries import RequestStatusUpdated
from shared.contracts.requests import SurveyInvited
from shared.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class SubmitRequest:
    service: str
    fields: dict[str, Any]
    citizen: Identity
    idempotency_key: str | None = None


@dataclass(frozen=True)
class CancelRequest:
    tracking_number: str
    citizen: Identity


@dataclass(frozen=True)
class RespondToRequest:
    tracking_number: str
    citizen: Identity
    note: str
    fields: dict[str, Any]


@dataclass(frozen=True)
class IssuedDocument:
    document_type: str
    number: str
    issued_on: date
    expires_on: date | None = None


@dataclass(frozen=True)
class ReportStatus:
    """A ministry moves a request: from its bus event, the ministry REST API, or an officer in the workspace."""

    tracking_number: str
    status: str
    note: str | None
    ministry: str
    event_id: str | None = None
    fields_to_correct: tuple[str, ...] = ()
    expected_status: str | None = None
    document: IssuedDocument | None = None
    # The signed-in officer, None for the ministry's own system (its API key or broker user).
    officer: Identity | None = None


@dataclass(frozen=True)
class StatusReported:
    outcome: Outcome
    status: str


@dataclass(frozen=True)
class AssignRequest:
    tracking_number: str
    officer: Identity
    to_me: bool
    # Given: the assignment the officer saw (None: nobody); a different one now is a conflict.
    expected_assignee: str | None = None
    check_expected: bool = False


@dataclass(frozen=True)
class RequestInfo:
    row: RequestRow
    history: list[HistoryRow] | None = None
    rating: RatingRow | None = None
    expected_completion: datetime | None = None


@dataclass(frozen=True)
class Move:
    target: str
    mover: Mover
    actor_label: str
    note: str | None = None
    actor_name: str | None = None
    event_id: str | None = None
    fields: dict[str, Any] | None = None
    fields_to_correct: list[str] = field(default_factory=list)
    # An officer acts on the status they saw: a move someone else already made is theirs to know, not to repeat.
    stale_is_conflict: bool = False


def _public_actor(label: str, ministry: str) -> str:
    """What leaves this service about who acted: an officer's id stays here, the ministry speaks for them."""
    return f"ministry:{ministry}" if label.startswith("officer:") else label


async def submit_request(command: SubmitRequest, deps: Deps) -> Submitted:
    """Made by the deadline or not at all (DatabaseBusy): a citizen told it failed retries, with the same
    Idempotency-Key, and gets this request once."""
    deadline = asyncio.get_running_loop().time() + deps.submission_deadline_seconds
    service = await published_service(command.service, deps)
    fields = check_submission(service, command.fields)
    at = deps.clock()
    key = command.idempotency_key
    answers = fingerprint(command.service, command.fields) if key else ""
    if key is not None:
        # A retry of a submission already made is answered from a snapshot, never queued behind the writers: when
        # writes are backed up, its first answer is what the citizen's app most needs.
        kept = await deps.uow(read_only=True).idempotency.get(command.citizen.subject, key)
        replayed = replayed_answer(kept, answers, at)
        if replayed is not None:
            log.info("request_submission_replayed", service=command.service)
            return replayed
    calendar = await deps.calendars.kept(deps.uow)
    new = NewRequest(service, fields, command.citizen, at, calendar.add_working_days(at, service.target_days))
    # Written with the submissions made meanwhile: one transaction, one commit (GroupCommit).
    submitted: Submitted = await deps.submissions.write(Submission(new, key, answers), deadline)
    if submitted.replayed:
        log.info("request_submission_replayed", service=command.service)
    else:
        log.info("request_submitted", service=service.slug, ministry=service.ministry)
    return submitted


async def _move(uow: RequestsUnitOfWork, row: RequestRow, move: Move, at: datetime, window_days: int
                ) -> tuple[Outcome, RequestRow]:
    """Move a request its unit of work has locked (read with for_update)."""
    tracking_number, target = row.tracking_number, move.target
    past = await uow.requests.applied_statuses(tracking_number)
    outcome = check_move(move.mover, row.ministry, row.citizen, tracking_number, row.status, target, past)
    if outcome is Outcome.STALE and move.stale_is_conflict:
        raise Conflict("status-changed", f"Someone else moved this request meanwhile: it is now {row.status}.",
                       current_status=row.status)
    applied = outcome is Outcome.APPLY
    await uow.requests.record(tracking_number, target, row.status, move.actor_label, move.note, at, applied,
                              move.event_id, move.actor_name)
    if not applied:
        log.info("stale_status_ignored", tracking_number=tracking_number, status=target, current=row.status)
        return outcome, row
    moved = await uow.requests.set_status(row, target, at, move.fields, action_note=move.note,
                                          fields_to_correct=move.fields_to_correct)
    await uow.publish(status_changed(row, target, row.status, _public_actor(move.actor_label, row.ministry),
                                      move.note, at, move.fields_to_correct),
                      exchange=EVENTS, routing_key=STATUS_CHANGED, subject=tracking_number)
    if target == "completed":
        await uow.publish(SurveyInvited(tracking_number=tracking_number, service=row.service, ministry=row.ministry,
                                        citizen=row.citizen, lang="en" if row.lang == "en" else "ar",
                                        invited_at=at),
                          exchange=EVENTS, routing_key="requests.survey.invited", subject=tracking_number)
        await offer_next_service(uow, row, at, window_days)
    return outcome, moved


async def _check_report(uow: RequestsUnitOfWork, row: RequestRow, command: ReportStatus) -> None:
    check_mover(Mover("ministry", command.ministry), row.ministry, row.citizen, row.tracking_number)
    if command.expected_status is not None and row.status != command.expected_status:
        raise Conflict("status-changed", f"Someone else moved this request meanwhile: it is now {row.status}.",
                       current_status=row.status, expected_status=command.expected_status)
    if command.fields_to_correct:
        if command.status != "action_required":
            raise Invalid("fields-to-correct-invalid", "Fields to correct go only with action_required.")
        service = await uow.catalogue.record(row.service)
        known = {f.name for f in service.form} if service else set()
        unknown = sorted(set(command.fields_to_correct) - known)
        if unknown:
            raise Invalid("fields-to-correct-invalid", "Some fields to correct are not on this service's form.",
                          errors=[{"field": name, "message": "is not a field of this service's form"}
                                  for name in unknown])
    if command.officer is not None and command.status == "rejected" and not (command.note or "").strip():
        raise Invalid("note-required", "Say why the request is rejected: the citizen reads this note.")
    if command.document is not None and command.status != "completed":
        raise Invalid("document-needs-completed", "A document is issued only with completed.")


async def report_status(command: ReportStatus, deps: Deps) -> StatusReported:
    tracking_number = parse_tracking_number(command.tracking_number)
    at = deps.clock()
    async with deps.uow() as uow:
        if command.event_id and not await uow.claim(command.event_id, "requests.ministry"):
            current = await uow.requests.get(tracking_number)
            return StatusReported(Outcome.STALE, current.status if current else command.status)
        row = await uow.requests.get(tracking_number, for_update=True)
        if row is None:
            raise NotFound("request-not-found", f"No request {tracking_number}.")
        await _check_report(uow, row, command)
        officer = command.officer
        move = Move(command.status, Mover("ministry", command.ministry),
                    f"officer:{officer.subject}" if officer else f"ministry:{command.ministry}", command.note,
                    actor_name=officer.name if officer else None, event_id=command.event_id,
                    fields_to_correct=list(command.fields_to_correct), stale_is_conflict=officer is not None)
        outcome, moved = await _move(uow, row, move, at, deps.learning.window_days)
        if command.document is not None and outcome is Outcome.APPLY:
            document = command.document
            await keep_document(uow, IssueDocument(row.ministry, row.citizen, document.document_type,
                                                   document.number, document.issued_on, document.expires_on,
                                                   tracking_number), at)
        await uow.commit()
    log.info("request_status_reported", tracking_number=tracking_number, status=command.status,
             outcome=outcome.value, by_officer=officer is not None)
    return StatusReported(outcome, moved.status)


async def apply_ministry_status(message: Inbound[RequestStatusUpdated], deps: Deps) -> None:
    ministry = message.delivery.routing_key.split(".", 1)[0]
    if message.user_id != ministry_broker_user(ministry, deps.bus.vhost):
        raise Rejected(f"published by {message.user_id!r}, not by the broker user of ministry {ministry!r}")
    event = message.event
    try:
        await report_status(ReportStatus(event.tracking_number, event.status, event.note, ministry, message.id,
                                         tuple(event.fields_to_correct)), deps)
    except RequestError as error:
        raise Rejected(f"{error.code}: {error.detail}") from error


async def assign_request(command: AssignRequest, deps: Deps) -> RequestInfo:
    tracking_number = parse_tracking_number(command.tracking_number)
    officer = command.officer
    async with deps.uow() as uow:
        row = await uow.requests.get(tracking_number, for_update=True)
        if row is None or officer.ministry != row.ministry:
            raise NotFound("request-not-found", f"Your ministry has no request {tracking_number}.")
        if command.check_expected and row.assignee != command.expected_assignee:
            raise Conflict("assignment-changed", "Someone else changed who handles this request meanwhile.",
                           current_assignee=row.assignee)
        assignee, name = (officer.subject, officer.name) if command.to_me else (None, None)
        await uow.requests.assign(tracking_number, assignee, name)
        await uow.commit()
    log.info("request_assigned", tracking_number=tracking_number, assigned=command.to_me)
    return RequestInfo(replace(row, assignee=assignee, assignee_name=name))


def _owned(row: RequestRow | None, citizen: Identity, tracking_number: str) -> RequestRow:
    if row is None:
        raise NotFound("request-not-found", f"You have no request {tracking_number}.")
    check_mover(Mover("citizen", citizen.subject), row.ministry, row.citizen, tracking_number)
    return row


async def cancel_request(command: CancelRequest, deps: Deps) -> RequestRow:
    tracking_number = parse_tracking_number(command.tracking_number)
    async with deps.uow() as uow:
        row = _owned(await uow.requests.get(tracking_number, for_update=True), command.citizen, tracking_number)
        cancel = Move("cancelled", Mover("citizen", command.citizen.subject), "citizen")
        outcome, updated = await _move(uow, row, cancel, deps.clock(), deps.learning.window_days)
        if outcome is not Outcome.APPLY:
            raise Conflict("not-cancellable", "This request can no longer be cancelled.")
        await uow.commit()
    return updated


async def respond_to_request(command: RespondToRequest, deps: Deps) -> RequestRow:
    tracking_number = parse_tracking_number(command.tracking_number)
    async with deps.uow() as uow:
        row = _owned(await uow.requests.get(tracking_number, for_update=True), command.citizen, tracking_number)
        if row.status != "action_required":
            raise Conflict("no-action-required", "The ministry has not asked you for anything on this request.")
        found = await uow.catalogue.get(row.service)
        answers = command.fields
        if unasked := fields_not_asked(answers, row.fields_to_correct):
            raise Invalid("fields-not-asked", "Only the fields the ministry asked about can be changed.",
                          errors=[e.as_dict() for e in unasked])
        if found and command.fields:
            errors = validate_fields(found, command.fields, partial=True)
            if errors:
                raise Invalid("invalid-fields", "Some answers need correcting.",
                              errors=[e.as_dict() for e in errors])
            answers = stored_fields(found, command.fields)
        respond = Move("in_review", Mover("citizen", command.citizen.subject), "citizen", command.note,
                       fields=row.fields | answers)
        _, updated = await _move(uow, row, respond, deps.clock(), deps.learning.window_days)
        await uow.commit()
    return updated
