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
from services.requests.handlers.lifecycle import (
    CancelRequest,
    MinistryQueueQuery,
    ReportStatus,
    RespondToRequest,
    SubmitRequest,
    apply_ministry_status,
    cancel_request,
    ministry_requests,
    my_requests,
    overdue_requests,
    report_status,
    request_detail,
    respond_to_request,
    submit_request,
)
from shared.bus.dispatch import EventRouter
from shared.contracts.catalog import ServicePublished, ServiceRetired, ServiceUpdated
from shared.contracts.ministries import RequestStatusUpdated

__all__ = [
    "CancelRequest", "CatalogPort", "DeadLetterQuery", "Deps", "MinistryLinksPort", "MinistryQueueQuery",
    "ReportStatus", "ResolveDeadLetter", "RespondToRequest", "SubmitRequest", "apply_ministry_status",
    "cache_service", "cancel_request", "dead_letter", "discard_dead_letter", "forget_service", "list_dead_letters",
    "ministry_requests", "my_requests", "overdue_requests", "published_service", "record_dead_letter",
    "register_catalogue", "register_ministry", "replay_dead_letter", "replay_queue", "report_status",
    "request_detail", "respond_to_request", "submit_request",
]


def register_catalogue(router: EventRouter) -> None:
    router.register(ServicePublished, cache_service)
    router.register(ServiceUpdated, cache_service)
    router.register(ServiceRetired, forget_service)


def register_ministry(router: EventRouter) -> None:
    router.register(RequestStatusUpdated, apply_ministry_status)
