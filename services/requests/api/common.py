from typing import Annotated

from fastapi import Depends, Query, Request

from services.requests.domain import RequestError
from services.requests.handlers import Deps
from shared.auth import Identity, require_identity
from shared.web import Problem

Citizen = Annotated[Identity, Depends(require_identity("citizen"))]
Viewer = Annotated[Identity, Depends(require_identity("citizen", "ministry", "officer", "service_manager",
                                                      "admin"))]
MinistryActor = Annotated[Identity, Depends(require_identity("ministry", "officer"))]
MinistryReader = Annotated[Identity, Depends(require_identity("ministry", "officer", "service_manager"))]
Officer = Annotated[Identity, Depends(require_identity("officer"))]
Staff = Annotated[Identity, Depends(require_identity("admin"))]
Page = Annotated[int, Query(ge=1, le=10_000)]


def get_deps(request: Request) -> Deps:
    deps: Deps = request.app.state.deps
    return deps


D = Annotated[Deps, Depends(get_deps)]


def problem(error: Exception) -> Problem:
    assert isinstance(error, RequestError)
    return Problem(error.status, error.code, error.detail, **error.extra)
