from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from services.requests.domain import (
    OPEN_STATUSES,
    Actor,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    Outcome,
    RequestError,
    add_working_days,
    decide,
    format_tracking_number,
    legal_moves,
    parse_tracking_number,
    validate_fields,
)
from services.requests.handlers.catalogue import published_service
from services.requests.handlers.deps import Deps
from services.requests.store import HistoryRow, RequestRow, RequestsUnitOfWork
from shared.auth import Identity
from shared.bus import Rejected
from shared.bus.dispatch import Inbound
from shared.bus.topology import EVENTS, TO_MINISTRIES, ministry_broker_user
from shared.contracts.ministries import RequestStatusUpdated
from shared.contracts.requests import Applicant, RequestStatusChanged, RequestSubmitted
from shared.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class SubmitRequest:
    service: str
    fields: dict[str, Any]
    citizen: Identity


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
class ReportStatus:
    """A ministry moves a request: from its bus event, or from the ministry REST API (the REST twin)."""

    tracking_number: str
    status: str
    note: str | None
    ministry: str
    event_id: str | None = None


def _status_changed(row: RequestRow, status: str, previous: str | None, actor: str, note: str | None,
                    at: datetime) -> RequestStatusChanged:
    return RequestStatusChanged(tracking_number=row.tracking_number, service=row.service, ministry=row.ministry,
                                citizen=row.citizen, lang="en" if row.lang == "en" else "ar",
                                status=status, previous_status=previous,
                                note=note, actor=actor, changed_at=at)


async def submit_request(command: SubmitRequest, deps: Deps) -> RequestRow:
    service = await published_service(command.service, deps)
    errors = validate_fields(service, command.fields)
    if errors:
        raise Invalid("invalid-fields", "Some answers need correcting.", errors=[e.as_dict() for e in errors])
    at = deps.clock()
    async with deps.uow() as uow:
        sequence = await uow.requests.next_sequence(service.ministry, at.year)
        row = RequestRow(
            tracking_number=format_tracking_number(service.ministry, at.year, sequence), service=service.slug,
            service_version=service.version, ministry=service.ministry, citizen=command.citizen.subject,
            citizen_name=command.citizen.name, lang=command.citizen.lang, status="submitted",
            fields=command.fields, submitted_at=at, updated_at=at, due_on=add_working_days(at, service.target_days))
        await uow.requests.add(row, actor="citizen")
        applicant = Applicant(national_id=row.citizen, name=row.citizen_name,
                              lang="en" if row.lang == "en" else "ar")
        await uow.publish(
            RequestSubmitted(tracking_number=row.tracking_number, service=row.service,
                             service_version=row.service_version, ministry=row.ministry, applicant=applicant,
                             fields=row.fields, submitted_at=at, due_on=row.due_on),
            exchange=TO_MINISTRIES, routing_key=f"{row.ministry}.request.submitted", subject=row.tracking_number)
        await uow.publish(_status_changed(row, "submitted", None, "citizen", None, at), exchange=EVENTS,
                          routing_key="requests.request.status_changed", subject=row.tracking_number)
        await uow.commit()
    log.info("request_submitted", service=row.service, ministry=row.ministry)
    return row


async def _move(uow: RequestsUnitOfWork, row: RequestRow, target: str, actor: Actor, actor_label: str,
                note: str | None, at: datetime, event_id: str | None, fields: dict[str, Any] | None = None
                ) -> tuple[Outcome, RequestRow]:
    """Move a request its unit of work has locked (read with for_update)."""
    tracking_number = row.tracking_number
    past = [h.status for h in await uow.requests.history(tracking_number) if h.applied]
    outcome = decide(row.status, target, actor, past)
    if outcome is Outcome.ILLEGAL:
        raise Conflict("illegal-transition", f"A request that is {row.status} cannot become {target}.",
                       allowed=sorted(legal_moves(row.status, actor)))
    applied = outcome is Outcome.APPLY
    await uow.requests.record(tracking_number, target, row.status, actor_label, note, at, applied, event_id)
    if not applied:
        log.info("stale_status_ignored", tracking_number=tracking_number, status=target, current=row.status)
        return outcome, row
    await uow.requests.set_status(tracking_number, target, at, fields)
    await uow.publish(_status_changed(row, target, row.status, actor_label, note, at), exchange=EVENTS,
                      routing_key="requests.request.status_changed", subject=tracking_number)
    return outcome, replace(row, status=target, updated_at=at, fields=row.fields if fields is None else fields)


async def report_status(command: ReportStatus, deps: Deps) -> Outcome:
    tracking_number = parse_tracking_number(command.tracking_number)
    async with deps.uow() as uow:
        if command.event_id and not await uow.claim(command.event_id, "requests.ministry"):
            return Outcome.STALE
        row = await uow.requests.get(tracking_number, for_update=True)
        if row is None:
            raise NotFound("request-not-found", f"No request {tracking_number}.")
        if row.ministry != command.ministry:
            raise Forbidden("wrong-ministry", "A ministry moves only its own requests.")
        outcome, _ = await _move(uow, row, command.status, "ministry", f"ministry:{command.ministry}",
                                 command.note, deps.clock(), command.event_id)
        await uow.commit()
    log.info("request_status_reported", tracking_number=tracking_number, status=command.status,
             outcome=outcome.value)
    return outcome


async def apply_ministry_status(message: Inbound[RequestStatusUpdated], deps: Deps) -> None:
    ministry = message.delivery.routing_key.split(".", 1)[0]
    if message.user_id != ministry_broker_user(ministry):
        raise Rejected(f"published by {message.user_id!r}, not by the broker user of ministry {ministry!r}")
    event = message.event
    try:
        await report_status(ReportStatus(event.tracking_number, event.status, event.note, ministry, message.id), deps)
    except RequestError as error:
        raise Rejected(f"{error.code}: {error.detail}") from error


def _owned(row: RequestRow | None, citizen: Identity, tracking_number: str) -> RequestRow:
    if row is None or row.citizen != citizen.subject:
        raise NotFound("request-not-found", f"You have no request {tracking_number}.")
    return row


async def cancel_request(command: CancelRequest, deps: Deps) -> RequestRow:
    tracking_number = parse_tracking_number(command.tracking_number)
    async with deps.uow() as uow:
        row = _owned(await uow.requests.get(tracking_number, for_update=True), command.citizen, tracking_number)
        outcome, updated = await _move(uow, row, "cancelled", "citizen", "citizen", None,
                                       deps.clock(), None)
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
        if found and command.fields:
            errors = validate_fields(found, command.fields, partial=True)
            if errors:
                raise Invalid("invalid-fields", "Some answers need correcting.",
                              errors=[e.as_dict() for e in errors])
        _, updated = await _move(uow, row, "in_review", "citizen", "citizen", command.note,
                                 deps.clock(), None, fields=row.fields | command.fields)
        await uow.commit()
    return updated


async def my_requests(citizen: Identity, deps: Deps, limit: int = 50, offset: int = 0) -> list[RequestRow]:
    async with deps.uow(read_only=True) as uow:
        rows = await uow.requests.of_citizen(citizen.subject, limit, offset)
    return sorted(rows, key=lambda r: (r.status not in OPEN_STATUSES, -r.submitted_at.timestamp()))


async def request_detail(tracking_number: str, viewer: Identity, deps: Deps
                         ) -> tuple[RequestRow, list[HistoryRow]]:
    canonical = parse_tracking_number(tracking_number)
    async with deps.uow(read_only=True) as uow:
        row = await uow.requests.get(canonical)
        visible = row is not None and (row.citizen == viewer.subject if viewer.is_citizen
                                       else viewer.acts_for(row.ministry))
        if row is None or not visible:
            raise NotFound("request-not-found", f"You have no request {canonical}.")
        return row, await uow.requests.history(canonical)


@dataclass(frozen=True)
class MinistryQueueQuery:
    ministry: str
    status: str | None = None
    service: str | None = None
    overdue: bool = False
    limit: int = 50
    offset: int = 0


async def ministry_requests(query: MinistryQueueQuery, deps: Deps) -> tuple[int, list[RequestRow]]:
    async with deps.uow(read_only=True) as uow:
        return await uow.requests.of_ministry(query.ministry, status=query.status, service=query.service,
                                              overdue_at=deps.clock() if query.overdue else None,
                                              limit=query.limit, offset=query.offset)


async def overdue_requests(ministry: str | None, deps: Deps) -> list[tuple[str, str, int]]:
    async with deps.uow(read_only=True) as uow:
        return await uow.requests.overdue_counts(deps.clock(), ministry)
