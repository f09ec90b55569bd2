"""The exchanges and queues of design.md, declared the same way by every process that needs them."""

import functools
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

EVENTS = "portal.events"
TO_MINISTRIES = "portal.to-ministries"
FROM_MINISTRIES = "portal.from-ministries"
DEAD_LETTERS = "portal.dead-letters"
EXCHANGES = (EVENTS, TO_MINISTRIES, FROM_MINISTRIES, DEAD_LETTERS)

DELIVERY_LIMIT = 5
MAX_LENGTH = 100_000

STATUS_CHANGED = "requests.request.status_changed"
# Events under these keys also go out under `<key>.<subject>` (RabbitMQ's BCC: no consumer sees that key), so a
# consumer can hear about one subject alone: a gateway replica binds the requests its citizens are watching, where
# it used to hear (and parse) every status change of every citizen.
ROUTED_BY_SUBJECT = frozenset({STATUS_CHANGED})


def subject_key(routing_key: str, subject: str) -> str:
    """The key under which an event of `routing_key` about `subject` is also routed (ROUTED_BY_SUBJECT)."""
    return f"{routing_key}.{subject}"


def also_routed(routing_key: str, subject: str | None) -> tuple[str, ...]:
    """The keys an event is routed by besides its own."""
    return (subject_key(routing_key, subject),) if subject and routing_key in ROUTED_BY_SUBJECT else ()


@dataclass(frozen=True)
class Binding:
    exchange: str
    routing_key: str


@dataclass(frozen=True)
class QueueSpec:
    name: str
    bindings: tuple[Binding, ...] = ()
    dead_letters: bool = True
    exclusive: bool = False
    max_length: int = MAX_LENGTH
    delivery_limit: int = DELIVERY_LIMIT
    extra_arguments: dict[str, Any] = field(default_factory=dict)
    # Bindings it had in an earlier release: removed where it is declared, so a broker kept across the upgrade stops
    # routing those messages here.
    unbound: tuple[Binding, ...] = ()

    def arguments(self) -> dict[str, Any]:
        if self.exclusive:
            return {"x-max-length": self.max_length, "x-overflow": "reject-publish"} | self.extra_arguments
        arguments: dict[str, Any] = {
            "x-queue-type": "quorum",
            "x-max-length": self.max_length,
            "x-overflow": "reject-publish",
        }
        if self.dead_letters:
            arguments |= {"x-dead-letter-exchange": DEAD_LETTERS, "x-delivery-limit": self.delivery_limit}
        return arguments | self.extra_arguments


def valid_ministry_code(code: str) -> bool:
    return code.isascii() and code.isalnum() and code.islower() and 2 <= len(code) <= 16


def ministry_inbox(code: str) -> QueueSpec:
    return QueueSpec(f"ministry.{code}.inbox", (Binding(TO_MINISTRIES, f"{code}.#"),))


def from_ministry(code: str) -> QueueSpec:
    return QueueSpec(f"requests.from.{code}", (Binding(FROM_MINISTRIES, f"{code}.#"),))


def vhost_of(amqp_url: str) -> str:
    path = urlsplit(amqp_url).path
    return unquote(path[1:]) if len(path) > 1 else "/"


DEFAULT_VHOST = "/"


def ministry_broker_user(code: str, vhost: str) -> str:
    """Broker users are global to a RabbitMQ node, so the name carries the vhost: two portals on one broker
    (each in its own vhost) never overwrite each other's ministry users. A code is alphanumeric, so the first
    `@` separates it from the vhost unambiguously."""
    return f"ministry-{code}" if vhost == DEFAULT_VHOST else f"ministry-{code}@{vhost}"


DEAD_LETTER_QUEUE = QueueSpec(DEAD_LETTERS, (Binding(DEAD_LETTERS, "#"),), dead_letters=False,
                              max_length=1_000_000)
SEARCH_CATALOG = QueueSpec("search.catalog-events", (Binding(EVENTS, "catalog.service.*"),))
REQUESTS_CATALOG = QueueSpec("requests.catalog-events", (Binding(EVENTS, "catalog.service.*"),
                                                      Binding(EVENTS, "catalog.readiness.assessed")))
NOTIFICATIONS_REQUESTS = QueueSpec(
    "notifications.request-events",
    (Binding(EVENTS, STATUS_CHANGED), Binding(EVENTS, "requests.renewal.due"),
     Binding(EVENTS, "requests.survey.invited"), Binding(EVENTS, "requests.suggestion.offered")),
)
# Search ranks by the totals the requests service reports every few seconds; it took every status change before.
SEARCH_REQUESTS = QueueSpec("search.request-events", (Binding(EVENTS, "requests.submissions.counted"),),
                            unbound=(Binding(EVENTS, STATUS_CHANGED),))
# Nobody has to consume it (operators read it); it exists so the mandatory publish of a failure is routable.
NOTIFICATIONS_DELIVERY_FAILURES = QueueSpec(
    "notifications.delivery-failures", (Binding(EVENTS, "notifications.delivery.failed"),), dead_letters=False,
    extra_arguments={"x-overflow": "drop-head"})
PORTAL_QUEUES = (DEAD_LETTER_QUEUE, SEARCH_CATALOG, REQUESTS_CATALOG, NOTIFICATIONS_REQUESTS, SEARCH_REQUESTS,
                 NOTIFICATIONS_DELIVERY_FAILURES)


# The in-memory bus asks for every binding of every queue at each publish, with few distinct keys.
@functools.lru_cache(maxsize=4096)
def topic_matches(pattern: str, routing_key: str) -> bool:
    """AMQP topic matching: `*` is exactly one word, `#` zero or more."""

    def match(p: list[str], k: list[str]) -> bool:
        if not p:
            return not k
        if p[0] == "#":
            return any(match(p[1:], k[i:]) for i in range(len(k) + 1))
        return bool(k) and (p[0] == "*" or p[0] == k[0]) and match(p[1:], k[1:])

    return match(pattern.split("."), routing_key.split("."))
