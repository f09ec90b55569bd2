from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore", populate_by_name=True)

    catalog_url: str = "http://127.0.0.1:8001"
    search_url: str = "http://127.0.0.1:8002"
    requests_url: str = "http://127.0.0.1:8003"
    notifications_url: str = "http://127.0.0.1:8004"
    identity_private_key: str
    log_level: str = "info"
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks_url: str | None = None
    # The web UI's sign-in (authorisation code + PKCE); off unless all of these and the three above are set.
    oidc_authorize_url: str | None = None
    oidc_token_url: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_redirect_url: str | None = None  # e.g. https://portal.gov.om/sign-in/callback
    dev_auth: bool = Field(default=False, validation_alias=AliasChoices("PORTAL_DEV_AUTH", "GATEWAY_DEV_AUTH"))
    upstream_timeout_seconds: float = 10.0
    max_body_bytes: int = 1_000_000
    # Where ministries reach the broker, as published in /asyncapi.json.
    broker_public_host: str = "127.0.0.1:5672"
    # The broker the live-tracking consumer listens on (memory:// in one process). `portal up` gives every
    # service the requests service's URL, so that one is read too; none: no live updates (pages still work).
    amqp_url: str | None = Field(default=None, validation_alias=AliasChoices("GATEWAY_AMQP_URL",
                                                                                "REQUESTS_AMQP_URL"))
    # Signs the web UI's CSRF tokens. Unset: derived from the identity key (itself a secret).
    csrf_secret: SecretStr | None = None
    # Token buckets per replica: sustained requests a second and the burst allowed on top.
    rate_per_address: float = 100.0
    burst_per_address: float = 2000.0
    rate_per_citizen: float = 50.0
    burst_per_citizen: float = 1000.0
    rate_per_api_key: float = 200.0
    burst_per_api_key: float = 4000.0
    # A breaker per upstream: open after this many failures in a row, for this long, then one probe.
    breaker_threshold: int = 5
    breaker_open_seconds: float = 10.0
