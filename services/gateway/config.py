from pydantic import AliasChoices, Field
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
    dev_auth: bool = Field(default=False, validation_alias=AliasChoices("PORTAL_DEV_AUTH", "GATEWAY_DEV_AUTH"))
    upstream_timeout_seconds: float = 10.0
    max_body_bytes: int = 1_000_000
    # Where ministries reach the broker, as published in /asyncapi.json.
    broker_public_host: str = "127.0.0.1:5672"
