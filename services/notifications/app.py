import httpx
from fastapi import FastAPI
from prometheus_client import Gauge

from services.notifications import handlers
from services.notifications.api import router
from services.notifications.channels import EmailSender, SmsSender
from services.notifications.channels.email import SmtpEmailSender, SmtpSettings
from services.notifications.channels.sms import HttpSmsSender, SmsSink
from services.notifications.clients import HttpServiceTitles
from services.notifications.config import Settings
from services.notifications.dispatcher import Dispatcher, DispatchSettings, Doorbell
from services.notifications.domain import Channel, RetryPolicy
from services.notifications.handlers import Deps, ServiceTitles, SlugsOnly
from services.notifications.store import MIGRATIONS, NotificationsUnitOfWork, metadata
from shared.breaker import CircuitBreaker
from shared.bus.topology import NOTIFICATIONS_REQUESTS
from shared.db import is_sqlite
from shared.logging import configure_logging
from shared.runtime import Runtime

BREAKER_STATE = Gauge("portal_notifications_breaker_state",
                      "Circuit breaker per channel provider: 0 closed, 1 half-open, 2 open", ["provider"])
SERVICE = "notifications"


def email_sender(settings: Settings) -> EmailSender:
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    return SmtpEmailSender(SmtpSettings(
        host=settings.smtp_host, port=settings.smtp_port, from_address=settings.smtp_from,
        starttls=settings.smtp_starttls, tls=settings.smtp_tls, username=settings.smtp_username, password=password,
        timeout_seconds=settings.smtp_timeout_seconds, validate_certs=settings.smtp_validate_certs,
        helo_name=settings.smtp_helo_name))


def sms_sender(settings: Settings) -> SmsSender:
    if settings.sms_provider == "sink":
        return SmsSink(settings.sms_sink_dir)
    assert settings.sms_api_url and settings.sms_api_token, "checked by Settings"
    client = httpx.AsyncClient(timeout=httpx.Timeout(settings.sms_timeout_seconds, connect=min(
        settings.sms_timeout_seconds, 3.0)))
    return HttpSmsSender(client, settings.sms_api_url, settings.sms_api_token.get_secret_value(), settings.sms_sender)


def service_titles(settings: Settings) -> ServiceTitles:
    if not settings.catalog_url:
        return SlugsOnly()
    return HttpServiceTitles(httpx.AsyncClient(base_url=settings.catalog_url,
                                               timeout=httpx.Timeout(1.0, connect=0.5)))


def create_app(settings: Settings | None = None, *, email: EmailSender | None = None, sms: SmsSender | None = None,
               titles: ServiceTitles | None = None) -> FastAPI:
    """The service; `email`, `sms` and `titles` replace the providers the settings name (tests, the bench)."""
    settings = settings or Settings()
    configure_logging(SERVICE, settings.log_level)
    runtime = Runtime(SERVICE, settings, metadata, MIGRATIONS)
    doorbell = Doorbell()
    deps = Deps(uow=runtime.unit_of_work(NotificationsUnitOfWork), titles=titles or service_titles(settings),
                public_url=settings.public_url, wake=doorbell.ring, sole_dispatcher=is_sqlite(settings.database_url),
                retry=RetryPolicy(settings.retry_max_attempts, settings.retry_base_seconds,
                                  settings.retry_cap_seconds))
    email, sms = email or email_sender(settings), sms or sms_sender(settings)
    providers: dict[Channel, str] = {"email": email.name, "sms": sms.name}
    breakers = {channel: CircuitBreaker(provider, failure_threshold=settings.breaker_failure_threshold,
                                        reset_seconds=settings.breaker_reset_seconds, gauge=BREAKER_STATE)
                for channel, provider in providers.items()}
    dispatcher = Dispatcher(deps, doorbell, email, sms, breakers, DispatchSettings(
        settings.dispatch_poll_seconds, settings.dispatch_batch, settings.dispatch_lease_seconds))
    request_events = handlers.request_events(deps)

    async def started() -> None:
        dispatcher.start()
        await runtime.consume_in_batches(NOTIFICATIONS_REQUESTS, request_events,
                                         linger=settings.consume_linger_seconds)

    async def stopping() -> None:
        await dispatcher.stop()
        await deps.titles.close()

    app = runtime.create_app("Notifications service", router, deps, started=started, stopping=stopping)
    app.state.dispatcher = dispatcher
    return app
