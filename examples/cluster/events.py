"""Events across nodes: three nodes of one cluster share one event bus over NATS.

The ``orders`` node publishes; ``billing`` subscribes to ``orders.*.placed`` and ``audit``
to ``orders.>``; a local subscriber on ``orders`` gets each event once, from its own bus.
For the demo the three nodes and a NATS server on a free loopback port run in this one
process; in production each node is its own process.

    python -m examples.cluster.events
"""

# --8<-- [start:events]
from __future__ import annotations

import asyncio
from typing import Any

import msgspec

from actors import Actor, ActorSystem, ClusterConfig
from actors.testing import NatsServer


class OrderPlaced(msgspec.Struct):
    order_id: str
    total: int


class OrderShipped(msgspec.Struct):
    order_id: str


# Every node registers the types that cross nodes, as for remote tell.
EVENTS: list[type[msgspec.Struct]] = [OrderPlaced, OrderShipped]


def node(url: str, name: str) -> ActorSystem:
    config = ClusterConfig(servers=[url], node=name, messages=EVENTS)
    return ActorSystem("shop", cluster=config)


# --8<-- [end:events]


# --8<-- [start:subscribers]
class Printer(Actor):
    """Prints what it receives, naming its node and the event's topic."""

    def __init__(self, seen: asyncio.Queue[str]) -> None:
        self.seen = seen

    async def receive(self, message: Any) -> None:
        context = self.context
        line = f"{context.system.cluster.node} got {message!r} on {context.topic}"
        print(line)
        self.seen.put_nowait(line)


# --8<-- [end:subscribers]


# --8<-- [start:main]
async def main(url: str) -> list[str]:
    seen: asyncio.Queue[str] = asyncio.Queue()
    async with (
        node(url, "orders") as orders,
        node(url, "billing") as billing,
        node(url, "audit") as audit,
    ):
        for system, pattern in (
            (orders, "orders.>"),
            (billing, "orders.*.placed"),
            (audit, "orders.>"),
        ):
            printer = await system.spawn(lambda: Printer(seen), name="printer")
            await system.subscribe(printer, pattern)
        # Subscriptions propagate in the background: wait until the publisher knows.
        await orders.cluster.wait_for_subscriber("billing", "orders.eu.placed")
        await orders.cluster.wait_for_subscriber("audit", "orders.eu.placed")
        print("orders.eu.placed goes to", orders.cluster.subscribers("orders.eu.placed"))

        await orders.publish("orders.eu.placed", OrderPlaced("A-1", 4_200))
        await orders.publish("orders.eu.shipped", OrderShipped("A-1"))
        # orders and audit get both events, billing the first only: five deliveries.
        return sorted([await asyncio.wait_for(seen.get(), 10.0) for _ in range(5)])


if __name__ == "__main__":
    with NatsServer() as server:
        asyncio.run(main(server.url))
# --8<-- [end:main]
