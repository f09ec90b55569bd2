"""Who may do what in the workspace, and the officer's buttons for the moves the requests service offers. No I/O.

Which moves a request allows, and to whom, is the requests service's rule: each request it returns names the
`moves` open to whoever asked, and every action goes through its REST twin, which checks them again."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Action = Literal["start_review", "ask_info", "approve", "reject", "complete"]
READERS = frozenset({"officer", "service_manager", "admin"})
MOVERS = frozenset({"officer"})
DESIGNERS = frozenset({"service_manager"})
# Portal staff read every ministry's designer and readiness pages but change nothing.
DESIGN_READERS = frozenset({"service_manager", "admin"})
ADMINS = frozenset({"admin"})
MINISTRY_CODE = re.compile(r"^[a-z][a-z0-9]{1,15}$")


@dataclass(frozen=True)
class DevStaff:
    national_id: str
    name: str
    role: Literal["officer", "service_manager", "admin"]
    ministry: str | None


# Who the development sign-in's quick buttons make you: the workspace ministry's staff and a portal operator.
DEV_STAFF = (
    DevStaff("90000101", "Salma Al-Harthy", "officer", "mosd"),
    DevStaff("90000103", "Khalid Al-Balushi", "officer", "mosd"),
    DevStaff("90000102", "Aisha Al-Rawahi", "service_manager", "mosd"),
    DevStaff("90000001", "Portal Staff", "admin", None),
)

TARGET: dict[Action, str] = {"start_review": "in_review", "ask_info": "action_required", "approve": "approved",
                             "reject": "rejected", "complete": "completed"}
# A new request is marked received on the way into review: one button for both.
_ACTION_OF = {target: action for action, target in TARGET.items()} | {"received": "start_review"}


def actions_for(moves: Iterable[str]) -> tuple[Action, ...]:
    """The officer's buttons for the moves open to them, in the lifecycle's order."""
    offered = {_ACTION_OF[move] for move in moves if move in _ACTION_OF}
    return tuple(action for action in TARGET if action in offered)


def status_steps(action: Action, current: str) -> list[tuple[str, str]]:
    """The (expected, target) status changes an action makes: a new request is first marked received,
    exactly as an integrated ministry acknowledges it, then taken into review."""
    if action == "start_review" and current == "submitted":
        return [("submitted", "received"), ("received", "in_review")]
    return [(current, TARGET[action])]


def ministry_of_tracking_number(tracking_number: str) -> str:
    return tracking_number.split("-", 1)[0].lower()


def may_see(role: str, own_ministry: str | None, ministry: str) -> bool:
    return role == "admin" or (role in READERS and own_ministry == ministry)
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
