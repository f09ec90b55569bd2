"""Citizens' records: what ministries issue, kept per citizen, and the offers each record leads to."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from services.requests.domain import Forbidden, RequestError, parse_tracking_number
from services.requests.domain.renewals import (
    LIFE_EVENTS,
    Document,
    fit_prefill,
    issues,
    life_event_key,
    renewal_for,
    renewal_is_due,
    renewal_key,
)
from services.requests.handlers.deps import Deps
from services.requests.store import OfferRow, RequestsUnitOfWork
from shared.bus import Rejected
from shared.bus.dispatch import Inbound
from shared.bus.topology import EVENTS, ministry_broker_user
from shared.contracts.ministries import DocumentIssued
from shared.contracts.requests import RenewalDue
from shared.logging import get_logger

log = get_logger(__name__)
CONSUMER = "requests.documents"


@dataclass(frozen=True)
class IssueDocument:
    """A ministry records a document it issued: from its bus event or the ministry REST API."""

    ministry: str
    national_id: str
    document_type: str
    number: str
    issued_on: date
    expires_on: date | None = None
    tracking_number: str | None = None
    event_id: str | None = None


async def offer_for(uow: RequestsUnitOfWork, document: Document, at: datetime) -> int:
    """Create the offers this document calls for today, each once; RenewalDue goes out with a new renewal."""
    if not await uow.preferences.proactive(document.citizen):
        return 0
    made = 0
    rule = renewal_for(document)
    if rule is not None and document.expires_on is not None and renewal_is_due(document, rule, at.date()):
        service = await uow.catalogue.get(rule.service)
        if service is None:
            log.info("renewal_service_unknown", service=rule.service, document_type=document.document_type)
        else:
            offer = _offer(document, "renewal", renewal_key(document), service.slug, service.ministry,
                           fit_prefill(service, rule.prefill(document)), at, days_ahead=rule.days_ahead)
            if await uow.offers.add(offer):
                made += 1
                assert document.expires_on is not None
                lang = await uow.requests.latest_lang(document.citizen)
                await uow.publish(RenewalDue(
                    offer_id=offer.id, citizen=document.citizen, lang="en" if lang == "en" else "ar",
                    document_type=document.document_type, document_number=document.number,
                    expires_on=document.expires_on, service=service.slug, ministry=service.ministry,
                    days_ahead=rule.days_ahead, due_at=at), exchange=EVENTS, routing_key="requests.renewal.due",
                    subject=offer.id)
                log.info("renewal_offered", service=service.slug, document_type=document.document_type)
    event = LIFE_EVENTS.get(document.document_type)
    if event is not None:
        for slug, prefill in event.services:
            service = await uow.catalogue.get(slug)
            if service is None:
                continue
            offer = _offer(document, "life_event", life_event_key(document, slug), slug, service.ministry,
                           fit_prefill(service, prefill(document)), at, life_event=event.life_event)
            if await uow.offers.add(offer):
                made += 1
                log.info("life_event_suggested", service=slug, life_event=event.life_event)
    return made


def _offer(document: Document, kind: str, key: str, service: str, ministry: str, prefill: dict[str, object],
           at: datetime, *, days_ahead: int | None = None, life_event: str | None = None) -> OfferRow:
    return OfferRow(id=str(uuid.uuid4()), dedupe_key=key, citizen=document.citizen, kind=kind, service=service,
                    ministry=ministry, status="open", document_id=document.id,
                    document_type=document.document_type, document_number=document.number,
                    expires_on=document.expires_on if kind == "renewal" else None, days_ahead=days_ahead,
                    life_event=life_event, prefill=dict(prefill), tracking_number=None, created_at=at,
                    updated_at=at)


async def keep_document(uow: RequestsUnitOfWork, command: IssueDocument, at: datetime) -> tuple[Document, bool]:
    """Record the document in the caller's unit of work and make the offers it calls for."""
    if not any(issues(service, command.document_type) for service in await uow.catalogue.of_ministry(command.ministry)):
        raise Forbidden("document-type-not-yours", "A ministry records only the document types its own services "
                                                   "issue or renew (issues_documents in the catalogue).")
    tracking_number = await _own_request(uow, command) if command.tracking_number else None
    draft = Document(id=str(uuid.uuid4()), ministry=command.ministry, citizen=command.national_id,
                     document_type=command.document_type, number=command.number, issued_on=command.issued_on,
                     expires_on=command.expires_on, tracking_number=tracking_number)
    document, new = await uow.documents.keep(draft, at)
    if document.citizen != command.national_id:
        raise Forbidden("document-of-another-citizen",
                        "This ministry already recorded a document with this type and number for someone else.")
    if not new:
        await uow.offers.withdraw_superseded(document.id, document.expires_on, at)
    await offer_for(uow, document, at)
    return document, new


async def _own_request(uow: RequestsUnitOfWork, command: IssueDocument) -> str:
    """A document answers one of the issuing ministry's own requests, made by the citizen it is issued to."""
    tracking_number = parse_tracking_number(command.tracking_number or "")
    row = await uow.requests.get(tracking_number)
    if row is None or row.ministry != command.ministry or row.citizen != command.national_id:
        raise Forbidden("request-not-yours", "A document links only to one of this ministry's own requests, made "
                                             "by the citizen it is issued to.")
    return tracking_number


async def issue_document(command: IssueDocument, deps: Deps) -> tuple[str, bool]:
    """The document's id, and whether it is new (a repeated report returns the same id)."""
    at = deps.clock()
    async with deps.uow() as uow:
        if command.event_id and not await uow.claim(command.event_id, CONSUMER):
            return "", False
        document, new = await keep_document(uow, command, at)
        await uow.commit()
    log.info("document_recorded", ministry=command.ministry, document_type=command.document_type, new=new)
    return document.id, new


async def apply_document_issued(message: Inbound[DocumentIssued], deps: Deps) -> None:
    ministry = message.delivery.routing_key.split(".", 1)[0]
    if message.user_id != ministry_broker_user(ministry, deps.bus.vhost):
        raise Rejected(f"published by {message.user_id!r}, not by the broker user of ministry {ministry!r}")
    event = message.event
    try:
        await issue_document(IssueDocument(ministry, event.national_id, event.document_type, event.number,
                                           event.issued_on, event.expires_on, event.tracking_number, message.id),
                             deps)
    except RequestError as error:
        raise Rejected(f"{error.code}: {error.detail}") from error
