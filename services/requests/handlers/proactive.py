"""Offers the citizen sees (renewals, life-event suggestions), submitting one in one step, opting out, and the
periodic scan that makes renewal offers as documents come within their rule's window."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from services.requests.domain import Conflict, NotFound
from services.requests.domain.renewals import RENEWALS, Document, missing_fields
from services.requests.handlers.catalogue import published_service
from services.requests.handlers.deps import Deps
from services.requests.handlers.documents import offer_for
from services.requests.handlers.new_requests import check_submission, create_request
from services.requests.store import OfferRow, RequestRow
from shared.auth import Identity
from shared.logging import get_logger

log = get_logger(__name__)
SCAN_BATCH = 200


@dataclass(frozen=True)
class OfferInfo:
    row: OfferRow
    missing_fields: list[str]


@dataclass(frozen=True)
class DocumentInfo:
    document: Document
    offer: OfferRow | None


async def my_documents(citizen: Identity, deps: Deps) -> list[DocumentInfo]:
    """Expiring soonest first; documents that never expire last."""
    documents, offers = await deps.uow(read_only=True).documents.with_offers(citizen.subject)
    latest: dict[str, OfferRow] = {}
    # A document's latest renewal offer, or else its latest suggestion.
    for offer in sorted(offers, key=lambda o: (o.kind == "renewal", o.created_at)):
        if offer.document_id:
            latest[offer.document_id] = offer
    ordered = sorted(documents, key=lambda d: (d.expires_on is None, d.expires_on or d.issued_on, d.number))
    return [DocumentInfo(d, latest.get(d.id)) for d in ordered]


async def my_offers(citizen: Identity, deps: Deps, *, only_open: bool = True) -> tuple[bool, list[OfferInfo]]:
    found = await deps.uow(read_only=True).offers.of_citizen(citizen.subject, "open" if only_open else None)
    return found.proactive, [OfferInfo(row, missing_fields(found.services[row.service], row.prefill)
                                       if row.service in found.services else []) for row in found.offers]


async def _own_offer(deps: Deps, citizen: Identity, offer_id: str) -> OfferRow:
    async with deps.uow(read_only=True) as uow:
        row = await uow.offers.get(offer_id)
    if row is None or row.citizen != citizen.subject:
        raise NotFound("offer-not-found", "You have no such offer.")
    return row


async def dismiss_offer(citizen: Identity, offer_id: str, deps: Deps) -> OfferInfo:
    at = deps.clock()
    async with deps.uow() as uow:
        row = await uow.offers.get(offer_id, for_update=True)
        if row is None or row.citizen != citizen.subject:
            raise NotFound("offer-not-found", "You have no such offer.")
        if row.status == "submitted":
            raise Conflict("offer-already-submitted", "You already submitted this offer.",
                           tracking_number=row.tracking_number)
        await uow.offers.set_status(row.id, "dismissed", at)
        service = await uow.catalogue.record(row.service)
        await uow.commit()
    return OfferInfo(OfferRow(**(row.__dict__ | {"status": "dismissed", "updated_at": at})),
                     missing_fields(service, row.prefill) if service else [])


async def submit_offer(citizen: Identity, offer_id: str, fields: dict[str, Any], deps: Deps) -> RequestRow:
    """The prefilled answers with the citizen's over them: one step when nothing is missing."""
    seen = await _own_offer(deps, citizen, offer_id)
    service = await published_service(seen.service, deps)
    answers = check_submission(service, seen.prefill | fields)
    at = deps.clock()
    async with deps.uow() as uow:
        row = await uow.offers.get(offer_id, for_update=True)
        assert row is not None
        if row.status == "submitted":
            raise Conflict("offer-already-submitted", "You already submitted this offer.",
                           tracking_number=row.tracking_number)
        if row.status == "dismissed":
            raise Conflict("offer-dismissed", "You dismissed this offer; submit the service from its page.")
        if row.status == "withdrawn":
            raise Conflict("offer-withdrawn", "You turned proactive offers off; submit the service from its page.")
        request = await create_request(uow, service, answers, citizen, at, await deps.calendars.current(uow))
        await uow.offers.set_status(row.id, "submitted", at, request.tracking_number)
        await uow.commit()
    log.info("offer_submitted", service=service.slug, kind=row.kind)
    return request


async def set_proactive(citizen: Identity, enabled: bool, deps: Deps) -> bool:
    """Opting out withdraws the open offers and no new offer or RenewalDue follows; opting in again brings the
    withdrawn ones back (a renewal already superseded stays closed), and the scan resumes."""
    at = deps.clock()
    async with deps.uow() as uow:
        await uow.preferences.set_proactive(citizen.subject, enabled, at)
        if enabled:
            await uow.offers.restore_withdrawn(citizen.subject, at)
        else:
            await uow.offers.withdraw_open(citizen.subject, at)
        await uow.commit()
    log.info("proactive_preference_set", enabled=enabled)
    return enabled


async def proactive_enabled(citizen: Identity, deps: Deps) -> bool:
    async with deps.uow(read_only=True) as uow:
        return await uow.preferences.proactive(citizen.subject)


async def scan_renewals(deps: Deps) -> int:
    """Offer every renewal now due that has none yet. Several replicas may scan at once: the offers' unique
    key lets one of them make each offer and publish its RenewalDue."""
    at = deps.clock()
    made = 0
    for document_type, rule in sorted(RENEWALS.items()):
        until = at.date() + timedelta(days=rule.days_ahead)
        while True:
            async with deps.uow() as uow:
                due = await uow.documents.expiring(document_type, until, SCAN_BATCH)
                batch = 0
                for document in due:
                    batch += await offer_for(uow, document, at)
                await uow.commit()
            made += batch
            # A batch that made nothing (its services are not published yet) would come back the same.
            if len(due) < SCAN_BATCH or batch == 0:
                break
    if made:
        log.info("renewals_scanned", offers=made)
    return made
