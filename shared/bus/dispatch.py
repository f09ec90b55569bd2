"""Turns a delivery into a typed event for its handler; what cannot be parsed is rejected with a reason."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import ValidationError

from shared.bus.ports import Delivery, Rejected
from shared.contracts.base import IntegrationEvent

E = TypeVar("E", bound=IntegrationEvent)


@dataclass(frozen=True)
class Inbound(Generic[E]):
    id: str
    event: E
    delivery: Delivery

    @property
    def user_id(self) -> str | None:
        return self.delivery.user_id


class EventRouter:
    def __init__(self, deps: Any) -> None:
        self._deps = deps
        self._handlers: dict[str, tuple[type[IntegrationEvent], Callable[[Any, Any], Awaitable[None]]]] = {}

    def register(self, model: type[E], handler: Callable[[Inbound[E], Any], Awaitable[None]]) -> None:
        self._handlers[model.TYPE] = (model, handler)

    async def __call__(self, delivery: Delivery) -> None:
        entry = self._handlers.get(delivery.envelope.type)
        if entry is None:
            raise Rejected(f"unknown event type {delivery.envelope.type!r}")
        model, handler = entry
        try:
            event = model.model_validate(delivery.envelope.data)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:10])
            raise Rejected(f"bad payload for {model.TYPE}: {problems}") from exc
        await handler(Inbound(delivery.envelope.id, event, delivery), self._deps)
