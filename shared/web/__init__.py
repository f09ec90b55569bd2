from fastapi import FastAPI

from shared.tracing import configure_tracing, tracing_enabled
from shared.web.ops import Readiness, ReadinessCheck, TraceAndMetricsMiddleware, metrics_app, ops_router
from shared.web.problems import Problem, install_problem_handlers, problem_response
from shared.web.tracing import instrument

__all__ = ["Problem", "Readiness", "ReadinessCheck", "install_plumbing", "metrics_app", "problem_response"]


def install_plumbing(app: FastAPI, service: str, readiness: Readiness, *, metrics: bool = True) -> None:
    """metrics=False: the app's own port never answers /metrics (serve metrics_app on another port)."""
    install_problem_handlers(app)
    app.add_middleware(TraceAndMetricsMiddleware, service=service)
    configure_tracing(service)
    if tracing_enabled():
        instrument(app, excluded_urls="healthz,readyz,metrics")
    app.include_router(ops_router(service, readiness, metrics=metrics))
