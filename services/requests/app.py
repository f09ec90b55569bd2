from datetime import timedelta

import httpx
from fastapi import FastAPI

from services.requests.api import problem, routers
from services.requests.clients import HttpCatalog, MinistryQueues
from services.requests.config import Settings
from services.requests.domain import RequestError
from services.requests.domain.patterns import Learning
from services.requests.handlers import (
    CompletionEstimates,
    Deps,
    KeptReports,
    Reported,
    in_one_transaction,
    record_dead_letter,
    register_catalogue,
    register_ministry,
    report_submission_counts,
)
from services.requests.handlers.insights import retrain_now
from services.requests.learning.child import ChildRetraining
from services.requests.store import MIGRATIONS, RequestsUnitOfWork, metadata
from services.requests.watch import OperationsWatch, RenewalScan
from shared.bus.dispatch import EventRouter
from shared.bus.topology import DEAD_LETTER_QUEUE, REQUESTS_CATALOG
from shared.logging import configure_logging
from shared.periodic import Every
from shared.runtime import Runtime

SERVICE = "requests"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(SERVICE, settings.log_level)
    runtime = Runtime(SERVICE, settings, metadata, MIGRATIONS)
    catalog_http = httpx.AsyncClient(base_url=settings.catalog_url, timeout=httpx.Timeout(5.0, connect=2.0))
    ministries = MinistryQueues(runtime.bus, runtime.consume_in_batches, settings.ministries,
                                enabled=settings.consume_ministries)
    deps = Deps(uow=runtime.unit_of_work(RequestsUnitOfWork), catalog=HttpCatalog(catalog_http),
                ministry_links=ministries, bus=runtime.bus,
                retraining=ChildRetraining(settings.database_url, settings.log_level),
                estimates=CompletionEstimates(settings.estimate_cache_seconds),
                reports=KeptReports(settings.performance_cache_seconds),
                learning=Learning(settings.insights_min_citizens, settings.insights_window_days,
                                  settings.insights_history_days),
                submission_deadline_seconds=settings.submission_deadline_seconds)
    ministry_events = EventRouter(deps)
    register_ministry(ministry_events)
    # A ministry's status updates and documents waiting together are applied in one transaction, each by its own
    # handler: one commit for the lot.
    ministries.handler = ministry_events.in_batches(in_one_transaction)
    catalogue_events = EventRouter(deps)
    register_catalogue(catalogue_events)
    watch = OperationsWatch(deps, settings.watch_seconds, timedelta(seconds=settings.stall_floor_seconds))
    renewals = RenewalScan(deps, settings.renewal_scan_seconds)
    learning = Every(settings.insights_retrain_seconds, lambda: retrain_now(deps), "insights-retrain")
    reported = Reported()
    submission_counts = Every(settings.submission_counts_seconds, lambda: report_submission_counts(deps, reported),
                              "submission-counts", at_start=True)

    async def started() -> None:
        async with deps.uow() as uow:
            known = await uow.catalogue.ministries()
        for ministry in sorted(set(known) | set(settings.ministries)):
            await ministries.ensure(ministry)
        if settings.consume_catalogue:
            await runtime.consume(REQUESTS_CATALOG, catalogue_events)
        if settings.dead_letter_desk:
            await runtime.consume_raw(DEAD_LETTER_QUEUE, lambda message: record_dead_letter(message, deps))
            # One deployment reports the portal-wide gauges, so alerts never add up several copies.
            watch.start()
            # One deployment retrains; the patterns it keeps serve every replica.
            learning.start()
            # And reports the submissions' totals to search: a replica's report would repeat another's.
            submission_counts.start()
        renewals.start()

    async def stopping() -> None:
        await deps.submissions.stop()
        await renewals.stop()
        await learning.stop()
        await submission_counts.stop()
        await watch.stop()
        await catalog_http.aclose()

    app = runtime.create_app("Requests service", routers, deps, started=started, stopping=stopping,
                             domain_errors=(RequestError, problem))
    app.state.ministries = ministries
    app.state.watch = watch
    app.state.renewals = renewals
    return app
