"""What the publisher and the consumers share: the robust connection and a queue's declaration."""

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractQueue, AbstractRobustConnection

from shared.bus.rabbit.transport import CoalescingRobustConnection
from shared.bus.topology import QueueSpec

RECONNECT_SECONDS = 1.0


async def connect(url: str, name: str, purpose: str) -> AbstractRobustConnection:
    # A failed reconnect (a load balancer that has not yet seen its node die) is tried again after a second,
    # not aio-pika's default five: a node loss should hold a ministry up for no longer than that.
    # Its socket writes coalesced (CoalescingRobustConnection): one send for the frames of one turn of the loop.
    return await aio_pika.connect_robust(url, reconnect_interval=RECONNECT_SECONDS,
                                         client_properties={"connection_name": f"{name} ({purpose})"},
                                         connection_class=CoalescingRobustConnection)


async def declare_queue(channel: AbstractChannel, spec: QueueSpec) -> AbstractQueue:
    queue = await channel.declare_queue(spec.name, durable=not spec.exclusive, exclusive=spec.exclusive,
                                        auto_delete=spec.exclusive, arguments=spec.arguments())
    for binding in spec.bindings:
        await queue.bind(binding.exchange, binding.routing_key)
    for binding in spec.unbound:
        # The broker answers unbind-ok for a binding it does not have.
        await queue.unbind(binding.exchange, binding.routing_key)
    return queue
