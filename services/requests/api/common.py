from typing import Annotated

from fastapi import Depends, Query, Request

from services.requests.domain import MINISTRY_MOVER_ROLES, RequestError
from services.requests.handlers import Deps
from shared.auth import Identity, require_identity
from shared.web import Problem

Citizen = Annotated[Identity, Depends(require_identity("citizen"))]
Viewer = Annotated[Identity, Depends(require_identity("citizen", "ministry", "officer", "service_manager",
                                                      "admin"))]
MinistryActor = Annotated[Identity, Depends(require_identity(*MINISTRY_MOVER_ROLES))]
MinistryReader = Annotated[Identity, Depends(require_identity("ministry", "officer", "service_manager", "admin"))]
MinistryCode = Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9]{1,15}$")]
Officer = Annotated[Identity, Depends(require_identity("officer"))]
Staff = Annotated[Identity, Depends(require_identity("admin"))]
Page = Annotated[int, Query(ge=1, le=10_000)]


async def get_deps(request: Request) -> Deps:
    """async: FastAPI runs a plain `def` dependency on a worker thread, a hand-over per request."""
    deps: Deps = request.app.state.deps
    return deps


D = Annotated[Deps, Depends(get_deps)]


def problem(error: Exception) -> Problem:
    assert isinstance(error, RequestError)
    return Problem(error.status, error.code, error.detail, **error.extra)


def ministry_read_by(reader: Identity, ministry: str | None) -> str:
    """Whose queue a reader sees: their own ministry's; portal staff (admin) read any one, named in `?ministry=`."""
    if reader.role == "admin":
        if ministry is None:
            raise Problem(422, "ministry-required", "Portal staff name the ministry with ?ministry=CODE.")
        return ministry
    own = own_ministry(reader)
    if ministry is not None and ministry != own:
        raise Problem(403, "wrong-ministry", "A ministry sees only its own requests.")
    return own


def own_ministry(actor: Identity) -> str:
    """The ministry a key or a staff member acts for; a token from the identity provider may lack the claim."""
    if actor.ministry is None:
        raise Problem(403, "ministry-required", "Your sign-in names no ministry; ask your administrator.")
    return actor.ministry
