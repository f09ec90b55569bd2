from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig

from shared.tracing import configure_tracing, tracing_enabled
from shared.web.ops import Readiness, ReadinessCheck, TraceAndMetricsMiddleware, metrics_app, ops_router
from shared.web.problems import Problem, install_problem_handlers, problem_response
from shared.web.tracing import instrument

__all__ = ["NO_FASTAPI_TELEMETRY", "Problem", "Readiness", "ReadinessCheck", "install_plumbing", "metrics_app",
           "problem_response"]

# Every portal app's FastAPI(telemetry=...): its spans are OpenTelemetry's middleware's (install_plumbing), which
# FastAPI's own telemetry stands aside for, but only after asking the providers and walking the middleware chain to
# find it, on every request (some 3 us); and the portal sets no meter or logger provider for it to use.
NO_FASTAPI_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def install_plumbing(app: FastAPI, service: str, readiness: Readiness, *, metrics: bool = True) -> None:
    """metrics=False: the app's own port never answers /metrics (serve metrics_app on another port)."""
    install_problem_handlers(app)
    app.add_middleware(TraceAndMetricsMiddleware, service=service)
    configure_tracing(service)
    if tracing_enabled():
        instrument(app, excluded_urls="healthz,readyz,metrics")
    app.include_router(ops_router(service, readiness, metrics=metrics))
