from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.config import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REQUESTS_", extra="ignore")

    catalog_url: str = "http://127.0.0.1:8001"
    # A submission commits within this many seconds of arriving, or is answered 503 having made nothing: shorter
    # than the gateway's upstream timeout (10 s), so that no request is made after its citizen was told it failed.
    submission_deadline_seconds: float = Field(default=6.0, gt=0)
    # Empty: consume every ministry's queue. Otherwise only these (a worker bound to some ministries).
    ministries: list[str] = Field(default_factory=list)
    # The API deployment turns this off where per-ministry workers consume the ministries' queues.
    consume_ministries: bool = True
    # Per-ministry workers turn this off: the API deployment keeps the shared catalogue cache.
    consume_catalogue: bool = True
    # One deployment keeps the dead-letter desk and reports the portal-wide gauges; per-ministry workers turn it off.
    dead_letter_desk: bool = True
    watch_seconds: float = 60.0
    # How often each service's submissions so far are reported to search, where they moved (0: never).
    submission_counts_seconds: float = 10.0
    # No request is flagged stalled sooner than this after its last change, however quick its service usually is.
    stall_floor_seconds: float = 3600.0
    # How often the renewal scan looks for documents coming within their renewal window (0: never).
    renewal_scan_seconds: float = 3600.0
    # How long a service's per-state typical times are kept before expected completions are recomputed.
    estimate_cache_seconds: float = 300.0
    # How long a public performance report (per period and filter) is served before it is computed again.
    performance_cache_seconds: float = 60.0
    # Learned next-service patterns: a pattern needs this many distinct citizens, pairs count within the window,
    # training reads this many days back, and retrains this often (0: only on demand, `portal insights retrain`).
    insights_min_citizens: int = Field(default=50, ge=10)
    insights_window_days: int = Field(default=180, ge=1, le=730)
    insights_history_days: int = Field(default=730, ge=30)
    insights_retrain_seconds: float = 86400.0
