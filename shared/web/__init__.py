from fastapi import FastAPI

from shared.web.ops import Readiness, ReadinessCheck, TraceAndMetricsMiddleware, ops_router
from shared.web.problems import Problem, install_problem_handlers, problem_response

__all__ = ["Problem", "Readiness", "ReadinessCheck", "install_plumbing", "problem_response"]


def install_plumbing(app: FastAPI, service: str, readiness: Readiness) -> None:
    install_problem_handlers(app)
    app.add_middleware(TraceAndMetricsMiddleware, service=service)
    app.include_router(ops_router(service, readiness))
