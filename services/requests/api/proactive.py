"""The citizen's records and offers: renewals ahead of expiry and life-event suggestions."""

from datetime import date, datetime
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from services.requests import handlers
from services.requests.api.common import Citizen, D

router = APIRouter()


class Reason(BaseModel):
    code: Literal["document_expiring", "life_event"]
    document_type: str
    document_number: str | None
    expires_on: date | None
    days_ahead: int | None
    life_event: str | None


class OfferView(BaseModel):
    id: str
    kind: str
    service: str
    ministry: str
    status: str
    reason: Reason
    prefill: dict[str, Any]
    missing_fields: list[str]
    tracking_number: str | None
    created_at: datetime


def offer_view(info: handlers.OfferInfo) -> OfferView:
    row = info.row
    return OfferView(
        id=row.id, kind=row.kind, service=row.service, ministry=row.ministry, status=row.status,
        reason=Reason(code="document_expiring" if row.kind == "renewal" else "life_event",
                      document_type=row.document_type, document_number=row.document_number,
                      expires_on=row.expires_on, days_ahead=row.days_ahead, life_event=row.life_event),
        prefill=row.prefill, missing_fields=info.missing_fields, tracking_number=row.tracking_number,
        created_at=row.created_at)


class OfferSummary(BaseModel):
    id: str
    status: str
    service: str


class DocumentView(BaseModel):
    id: str
    ministry: str
    document_type: str
    number: str
    issued_on: date
    expires_on: date | None
    tracking_number: str | None
    offer: OfferSummary | None


@router.get("/api/v1/me/documents")
async def my_documents(citizen: Citizen, deps: D) -> dict[str, list[DocumentView]]:
    infos = await handlers.my_documents(citizen, deps)
    return {"items": [DocumentView(
        id=i.document.id, ministry=i.document.ministry, document_type=i.document.document_type,
        number=i.document.number, issued_on=i.document.issued_on, expires_on=i.document.expires_on,
        tracking_number=i.document.tracking_number,
        offer=OfferSummary(id=i.offer.id, status=i.offer.status, service=i.offer.service) if i.offer else None)
        for i in infos]}


class OffersPage(BaseModel):
    proactive: bool
    items: list[OfferView]


@router.get("/api/v1/me/offers")
async def my_offers(citizen: Citizen, deps: D, status: Literal["open", "all"] = "open") -> OffersPage:
    proactive, infos = await handlers.my_offers(citizen, deps, only_open=status == "open")
    return OffersPage(proactive=proactive, items=[offer_view(i) for i in infos])


@router.post("/api/v1/me/offers/{offer_id}/dismiss")
async def dismiss_offer(offer_id: str, citizen: Citizen, deps: D) -> OfferView:
    return offer_view(await handlers.dismiss_offer(citizen, offer_id, deps))


class SubmitOfferBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fields: dict[str, Any] = Field(default_factory=dict, max_length=100)


@router.post("/api/v1/me/offers/{offer_id}/submit", status_code=201)
async def submit_offer(offer_id: str, citizen: Citizen, deps: D, body: SubmitOfferBody | None = None
                       ) -> dict[str, str]:
    row = await handlers.submit_offer(citizen, offer_id, body.fields if body else {}, deps)
    return {"tracking_number": row.tracking_number, "status": row.status}


class ProactiveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool


@router.get("/api/v1/me/proactive")
async def proactive(citizen: Citizen, deps: D) -> dict[str, bool]:
    return {"proactive": await handlers.proactive_enabled(citizen, deps)}


@router.put("/api/v1/me/proactive")
async def set_proactive(body: ProactiveBody, citizen: Citizen, deps: D) -> dict[str, bool]:
    return {"proactive": await handlers.set_proactive(citizen, body.enabled, deps)}
