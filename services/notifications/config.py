from pathlib import Path
from typing import Literal, Self

from pydantic import SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.config import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore")

    # Links in emails and SMS point here (the gateway's public address).
    public_url: str = "http://127.0.0.1:8000"
    # Where service titles come from; unset: messages name the service by its slug.
    catalog_url: str | None = None

    # Email over SMTP. The defaults reach `portal up`'s development mail server.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    # Unset: STARTTLS if the server offers it; true: required; false: never.
    smtp_starttls: bool | None = None
    # Implicit TLS from the first byte (usually port 465).
    smtp_tls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "no-reply@portal.gov.om"
    smtp_timeout_seconds: float = 10.0
    smtp_validate_certs: bool = True
    # The name given in EHLO; unset: this host's fully qualified name.
    smtp_helo_name: str | None = None

    # SMS: "sink" keeps messages (in sms_sink_dir, if set) instead of sending them; "http" is the provider.
    sms_provider: Literal["sink", "http"] = "sink"
    sms_sink_dir: Path | None = None
    sms_api_url: str | None = None
    sms_api_token: SecretStr | None = None
    sms_sender: str = "OmanGov"
    sms_timeout_seconds: float = 10.0

    # Retries: exponential backoff with jitter from retry_base_seconds, capped, then failed permanently.
    retry_max_attempts: int = 6
    retry_base_seconds: float = 30.0
    retry_cap_seconds: float = 3600.0
    # A breaker per provider: this many failures in a row open it for breaker_reset_seconds.
    breaker_failure_threshold: int = 5
    breaker_reset_seconds: float = 30.0
    # The dispatcher: how often it looks for due deliveries (it is also woken by new ones), how many it takes
    # per channel at once, and how long it holds them (longer than a send can take).
    dispatch_poll_seconds: float = 1.0
    dispatch_batch: int = 16
    dispatch_lease_seconds: float = 120.0
    # How long a request event waits for others to be queued with it in one transaction: a transaction of one
    # event cost about three times the CPU an event costs in one of four. At 140 submissions a second, 0.1 s
    # (batches of about 14, not 3) took this service from 1.62 to 1.15 ms of CPU per submission; a notification
    # leaves at most 0.1 s later.
    consume_linger_seconds: float = 0.1

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.smtp_tls and self.smtp_starttls:
            raise ValueError("NOTIFICATIONS_SMTP_TLS and NOTIFICATIONS_SMTP_STARTTLS exclude each other")
        if self.smtp_username is not None and self.smtp_password is None:
            raise ValueError("NOTIFICATIONS_SMTP_USERNAME needs NOTIFICATIONS_SMTP_PASSWORD")
        if self.sms_provider == "http" and (not self.sms_api_url or self.sms_api_token is None):
            raise ValueError("the http SMS provider needs NOTIFICATIONS_SMS_API_URL and NOTIFICATIONS_SMS_API_TOKEN")
        if self.retry_max_attempts < 1 or self.dispatch_batch < 1:
            raise ValueError("retry_max_attempts and dispatch_batch must be at least 1")
        return self
