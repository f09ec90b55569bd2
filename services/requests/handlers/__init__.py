from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

from services.requests.handlers.caching import KeptReports
from services.requests.handlers.catalogue import cache_service, forget_service, published_service
from services.requests.handlers.dead_letters import (
    DeadLetterQuery,
    ResolveDeadLetter,
    dead_letter,
    discard_dead_letter,
    list_dead_letters,
    record_dead_letter,
    replay_dead_letter,
    replay_queue,
)
from services.requests.handlers.deps import CatalogPort, Deps, MinistryLinksPort
from services.requests.handlers.documents import IssueDocument, apply_document_issued, issue_document
from services.requests.handlers.estimates import CompletionEstimates
from services.requests.handlers.kpis import (
    PerformanceReport,
    ServiceKpis,
    performance,
    rebuild_kpis,
    record_readiness,
)
from services.requests.handlers.lifecycle import (
    AssignRequest,
    CancelRequest,
    IssuedDocument,
    ReportStatus,
    RequestInfo,
    RespondToRequest,
    StatusReported,
    SubmitRequest,
    apply_ministry_status,
    assign_request,
    cancel_request,
    report_status,
    respond_to_request,
    submit_request,
)
from services.requests.handlers.new_requests import Submitted
from services.requests.handlers.proactive import (
    DocumentInfo,
    OfferInfo,
    dismiss_offer,
    my_documents,
    my_offers,
    proactive_enabled,
    scan_renewals,
    set_proactive,
    submit_offer,
)
from services.requests.handlers.reading import my_requests, overdue_requests, request_detail
from services.requests.handlers.stalls import flag_stalled_requests, stalled_requests
from services.requests.handlers.submission_counts import Reported, report_submission_counts
from services.requests.handlers.surveys import RateRequest, rate_request
from services.requests.handlers.workspace import (
    MinistryQueue,
    MinistryQueueQuery,
    ReportChannelCount,
    Workload,
    ministry_requests,
    report_channel_count,
    workload,
)
from shared.bus.dispatch import EventRouter
from shared.contracts.catalog import ReadinessAssessed, ServicePublished, ServiceRetired, ServiceUpdated
from shared.contracts.ministries import DocumentIssued, RequestStatusUpdated

__all__ = [
    "AssignRequest",
    "CancelRequest",
    "CatalogPort",
    "CompletionEstimates",
    "DeadLetterQuery",
    "Deps",
    "DocumentInfo",
    "IssueDocument",
    "IssuedDocument",
    "KeptReports",
    "MinistryLinksPort",
    "MinistryQueue",
    "MinistryQueueQuery",
    "OfferInfo",
    "PerformanceReport",
    "RateRequest",
    "ReportChannelCount",
    "ReportStatus",
    "Reported",
    "RequestInfo",
    "ResolveDeadLetter",
    "RespondToRequest",
    "ServiceKpis",
    "StatusReported",
    "SubmitRequest",
    "Submitted",
    "Workload",
    "apply_document_issued",
    "apply_ministry_status",
    "assign_request",
    "cache_service",
    "cancel_request",
    "dead_letter",
    "discard_dead_letter",
    "dismiss_offer",
    "flag_stalled_requests",
    "forget_service",
    "in_one_transaction",
    "issue_document",
    "list_dead_letters",
    "ministry_requests",
    "my_documents",
    "my_offers",
    "my_requests",
    "overdue_requests",
    "performance",
    "proactive_enabled",
    "published_service",
    "rate_request",
    "rebuild_kpis",
    "record_dead_letter",
    "record_readiness",
    "register_catalogue",
    "register_ministry",
    "replay_dead_letter",
    "replay_queue",
    "report_channel_count",
    "report_status",
    "report_submission_counts",
    "request_detail",
    "respond_to_request",
    "scan_renewals",
    "set_proactive",
    "stalled_requests",
    "submit_offer",
    "submit_request",
    "workload",
]


def register_catalogue(router: EventRouter) -> None:
    router.register(ServicePublished, cache_service)
    router.register(ServiceUpdated, cache_service)
    router.register(ServiceRetired, forget_service)
    router.register(ReadinessAssessed, record_readiness)


def register_ministry(router: EventRouter) -> None:
    router.register(RequestStatusUpdated, apply_ministry_status)
    router.register(DocumentIssued, apply_document_issued)


@asynccontextmanager
async def in_one_transaction(deps: Deps) -> AsyncIterator[Deps]:
    """A batch of a ministry's events applied together: each handler's unit of work is the batch's, committed once
    on leaving (one fsync on SQLite, where one per event held the service to ~12 status updates a second)."""
    async with deps.uow() as uow:
        yield replace(deps, uow=uow.joined())
        await uow.commit()
