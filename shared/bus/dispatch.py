"""Turns a delivery into a typed event for its handler; what cannot be parsed is rejected with a reason."""

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import ValidationError

from shared.bus.ports import BatchHandler, Delivery, Rejected
from shared.contracts.base import IntegrationEvent

E = TypeVar("E", bound=IntegrationEvent)
T = TypeVar("T")


@dataclass(frozen=True)
class Inbound(Generic[E]):
    id: str
    event: E
    delivery: Delivery

    @property
    def user_id(self) -> str | None:
        return self.delivery.user_id


def _parsed(model: type[E], delivery: Delivery) -> E:
    try:
        return model.model_validate(delivery.envelope.data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:10])
        raise Rejected(f"bad payload for {model.TYPE}: {problems}") from exc


class EventRouter:
    def __init__(self, deps: Any) -> None:
        self._deps = deps
        self._handlers: dict[str, tuple[type[IntegrationEvent], Callable[[Any, Any], Awaitable[None]]]] = {}

    def register(self, model: type[E], handler: Callable[[Inbound[E], Any], Awaitable[None]]) -> None:
        self._handlers[model.TYPE] = (model, handler)

    async def __call__(self, delivery: Delivery) -> None:
        await self._route(delivery, self._deps)

    async def _route(self, delivery: Delivery, deps: Any) -> None:
        entry = self._handlers.get(delivery.envelope.type)
        if entry is None:
            raise Rejected(f"unknown event type {delivery.envelope.type!r}")
        model, handler = entry
        await handler(Inbound(delivery.envelope.id, _parsed(model, delivery), delivery), deps)

    def in_batches(self, together: Callable[[Any], AbstractAsyncContextManager[Any]]) -> BatchHandler:
        """For Bus.consume_in_batches, each message keeping its own handler: a batch's deliveries go to their
        handlers in order, each given the deps that `together(deps)` yields, which applies them all at once on
        leaving (a unit of work they share, committed once) or none of them if any handler raised."""
        async def handle(deliveries: list[Delivery]) -> None:
            async with together(self._deps) as deps:
                for delivery in deliveries:
                    await self._route(delivery, deps)

        return handle


class BatchRouter(Generic[T]):
    """For Bus.consume_in_batches: each delivery's typed event becomes, through the function registered for its
    type, one item of what `apply` takes; `apply` then handles the batch's items at once (in one transaction)."""

    def __init__(self, deps: Any, apply: Callable[[list[T], Any], Awaitable[object]]) -> None:
        self._deps, self._apply = deps, apply
        self._items: dict[str, tuple[type[IntegrationEvent], Callable[[Any], T]]] = {}

    def register(self, model: type[E], item: Callable[[Inbound[E]], T]) -> None:
        self._items[model.TYPE] = (model, item)

    def _item(self, delivery: Delivery) -> T:
        entry = self._items.get(delivery.envelope.type)
        if entry is None:
            raise Rejected(f"unknown event type {delivery.envelope.type!r}")
        model, item = entry
        return item(Inbound(delivery.envelope.id, _parsed(model, delivery), delivery))

    async def __call__(self, deliveries: list[Delivery]) -> None:
        await self._apply([self._item(delivery) for delivery in deliveries], self._deps)
