from shared.bus.envelope import Envelope, MalformedEnvelope
from shared.bus.ports import (
    AccessRefused,
    BatchHandler,
    Bus,
    Consumer,
    Delivery,
    Handler,
    PublishFailed,
    QueueMissing,
    RawDelivery,
    Rejected,
)

__all__ = ["AccessRefused", "BatchHandler", "Bus", "Consumer", "Delivery", "Envelope", "Handler", "MalformedEnvelope",
           "PublishFailed", "QueueMissing", "RawDelivery", "Rejected", "connect_bus"]

_MEMORY_BUSES: dict[str, Bus] = {}


def connect_bus(url: str, name: str = "portal", *, dead_letters_by_broker: bool = False) -> Bus:
    """The bus for a URL: amqp(s):// is RabbitMQ; memory:// is one in-process bus shared by its URL.

    dead_letters_by_broker: see RabbitBus; for a ministry's own connection.
    """
    if url.startswith("memory://"):
        from shared.bus.memory import InMemoryBus

        return _MEMORY_BUSES.setdefault(url, InMemoryBus())
    from shared.bus.rabbit import RabbitBus

    return RabbitBus(url, name, dead_letters_by_broker=dead_letters_by_broker)
