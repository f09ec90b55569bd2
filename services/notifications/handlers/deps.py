"""What every handler is given: the unit of work, the catalogue's titles, the retry policy, a clock."""

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from prometheus_client import Counter

from services.notifications.domain import Channel, RetryPolicy
from services.notifications.store import NotificationsUnitOfWork
from shared.contracts.base import Bilingual
from shared.db import UnitOfWorkFactory, utcnow

DELIVERIES = Counter("portal_notifications_deliveries_total", "Delivery attempts by channel and resulting status",
                     ["channel", "status"])


class ServiceTitles(Protocol):
    async def title(self, slug: str) -> Bilingual | None: ...

    async def close(self) -> None: ...


class SlugsOnly:
    """No catalogue configured: messages name the service by its slug."""

    async def title(self, slug: str) -> Bilingual | None:
        return None

    async def close(self) -> None:
        return None


DEFAULT_RETRY = RetryPolicy(max_attempts=6, base_seconds=30.0, cap_seconds=3600.0)


def _nobody_to_wake(_: Channel) -> None:
    return None


@dataclass(frozen=True)
class Deps:
    uow: UnitOfWorkFactory[NotificationsUnitOfWork]
    titles: ServiceTitles = field(default_factory=SlugsOnly)
    public_url: str = "http://127.0.0.1:8000"
    retry: RetryPolicy = DEFAULT_RETRY
    # Tells the dispatcher a delivery on this channel is waiting, so it need not wait for its next poll.
    wake: Callable[[Channel], None] = _nobody_to_wake
    clock: Callable[[], datetime] = utcnow
    rand: Callable[[], float] = random.random
    # True when this process is the only one dispatching from its database (SQLite): due deliveries are
    # then read rather than leased.
    sole_dispatcher: bool = False
