from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ProxySettings(BaseSettings):
    """Read by `portal serve gateway` before the app exists (uvicorn applies it)."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    # Which proxies' X-Forwarded-For / X-Forwarded-Proto uvicorn believes (comma-separated addresses or CIDRs,
    # or *): the ingress controller's, so the per-address bucket counts the citizen's address, not the ingress'.
    forwarded_allow_ips: str = "127.0.0.1"


class Settings(ProxySettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore", populate_by_name=True)

    catalog_url: str = "http://127.0.0.1:8001"
    search_url: str = "http://127.0.0.1:8002"
    requests_url: str = "http://127.0.0.1:8003"
    notifications_url: str = "http://127.0.0.1:8004"
    identity_private_key: str
    log_level: str = "info"
    # The citizens' identity provider (OpenID Connect). The issuer is enough: the rest comes from its
    # /.well-known/openid-configuration, kept for oidc_discovery_refresh_seconds; each *_url setting overrides it.
    oidc_issuer: str | None = None
    oidc_audience: str | None = None  # unset: the client id
    oidc_jwks_url: str | None = None
    oidc_authorize_url: str | None = None
    oidc_token_url: str | None = None
    oidc_end_session_url: str | None = None
    oidc_discovery_refresh_seconds: float = 3600.0
    # The public /openapi.json is assembled from the services' own documents and rebuilt this often.
    openapi_refresh_seconds: float = 300.0
    # The web UI's sign-in (authorisation code + PKCE) is on when the issuer, client id and redirect URL are set.
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_redirect_url: str | None = None  # e.g. https://portal.gov.om/sign-in/callback
    # Where the provider sends the browser after signing out (register it there); unset: the redirect URL's site.
    oidc_post_logout_redirect_url: str | None = None
    # The claim holding the citizen's civil number: `sub`, or e.g. `national_id` where the provider's sub is opaque.
    oidc_civil_number_claim: str = "sub"
    # Portal staff sign in through their own provider (never the citizens'): its tokens carry the role and the
    # ministry in these claims, and oidc_staff_roles maps the provider's role names to the portal's
    # (officer, service_manager, admin); a role not in the map is refused.
    oidc_staff_issuer: str | None = None
    oidc_staff_audience: str | None = None  # unset: the staff client id
    oidc_staff_jwks_url: str | None = None
    oidc_staff_role_claim: str = "portal_role"
    oidc_staff_ministry_claim: str = "portal_ministry"
    oidc_staff_roles: dict[str, str] = Field(default_factory=dict)
    # The workspace's sign-in through the staff provider, e.g. https://portal.gov.om/workspace/sign-in/callback.
    oidc_staff_client_id: str | None = None
    oidc_staff_client_secret: SecretStr | None = None
    oidc_staff_redirect_url: str | None = None
    # Sign-out ends a session on every replica at once: the revoked sessions live in this database (SQLite or
    # PostgreSQL). Unset: in this process only, which is right for one replica (`make run`) and no more.
    database_url: str | None = None
    # A sign-out through another replica is refused here within this many seconds (each replica asks the database
    # about a token at most this often); through this one, at once. 0: ask on every request.
    signed_out_recheck_seconds: float = 2.0
    # Off in production: the pre-deploy Job migrate-gateway runs `portal migrate gateway`.
    migrate_on_start: bool = True
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
    # Per address only generous limits: a mobile carrier puts many citizens behind one address (CGNAT).
    rate_per_address: float = 100.0
    burst_per_address: float = 2000.0
    # Any signed-in caller: a page makes a handful of calls; 10 a second sustained is no person.
    rate_per_citizen: float = 10.0
    burst_per_citizen: float = 300.0
    # A ministry's system is a script by design: its own, larger budget.
    rate_per_api_key: float = 50.0
    burst_per_api_key: float = 1000.0
    # The routes scripts hammer, per caller (the credential, or the address without one). Sign-in is per
    # address and so generous (CGNAT): 60 at once, then one a second. Search: 30 at once, then one a second (a
    # person reads the results between searches). Submitting: 10 at once, then one every 2 minutes (a person
    # submits a few requests a day).
    rate_sign_in: float = 1.0
    burst_sign_in: float = 60.0
    rate_search: float = 1.0
    burst_search: float = 30.0
    rate_submit: float = 1 / 120
    burst_submit: float = 10.0
    # A breaker per upstream: open after this many failures in a row, for this long, then one probe.
    breaker_threshold: int = 5
    breaker_open_seconds: float = 10.0
