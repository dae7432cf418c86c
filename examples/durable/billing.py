"""Durable events: a billing actor that gets every paid order at least once, even the ones
published while it was down, and a poison order that ends up a dead letter.

Run it with ``python -m examples.durable.billing``: it starts its own nats-server with
JetStream on a free loopback port (``actors.testing.NatsServer``). Against your own server
(``nats-server -js -sd /var/lib/nats``), pass its URL: ``python -m examples.durable.billing
nats://127.0.0.1:4222``.
"""

# --8<-- [start:setup]
from __future__ import annotations

import asyncio
import sys
from typing import Any

import msgspec

from actors import (
    Actor,
    ActorRef,
    ActorSystem,
    ChildFailure,
    ClusterConfig,
    DeadLetter,
    DurableStream,
    MaxDeliveriesExceeded,
)


class OrderPaid(msgspec.Struct):
    order_id: str
    cents: int


STREAMS = [DurableStream(name="orders", subjects=["orders.>"], max_age=7 * 24 * 3600)]


def node(url: str) -> ActorSystem:
    config = ClusterConfig(servers=[url], node="billing", messages=[OrderPaid], streams=STREAMS)
    return ActorSystem("shop", cluster=config)


# --8<-- [end:setup]


# --8<-- [start:actor]
class Billing(Actor):
    """Charges each paid order once: at-least-once delivery, so it remembers what it did."""

    def __init__(self, charged: set[str]) -> None:
        self.charged = charged  # in a real service: a database with a unique key

    async def receive(self, message: Any) -> None:
        if isinstance(message, OrderPaid):
            if message.cents < 0:
                raise ValueError(f"order {message.order_id}: negative amount")
            if message.order_id in self.charged:
                return  # a redelivery of an event already handled: nothing to do
            self.charged.add(message.order_id)
            print(f"charged {message.order_id}: {message.cents} cents")


class Restarts(Actor):
    """Billing's parent: restarts it when it fails (a supervision.Supervisor does more)."""

    def __init__(self, charged: set[str]) -> None:
        self.charged = charged
        self.billing: ActorRef | None = None

    async def on_start(self) -> None:
        self.billing = await self.context.spawn(lambda: Billing(self.charged), name="billing")

    async def receive(self, message: Any) -> Any:
        return self.billing

    async def on_child_failed(self, failure: ChildFailure) -> None:
        await self.context.restart_child(failure.child)


# --8<-- [end:actor]


# --8<-- [start:main]
async def main(url: str) -> None:
    charged: set[str] = set()
    async with node(url) as system:
        gave_up = asyncio.Event()

        def on_dead_letter(letter: DeadLetter) -> None:
            if isinstance(letter.error, MaxDeliveriesExceeded):
                print(f"dead letter after {letter.error.deliveries} deliveries: {letter.message}")
                gave_up.set()

        system.dead_letters.add_listener(on_dead_letter)
        # Paid before billing subscribed: the stream keeps them for it.
        await system.publish("orders.paid", OrderPaid("A-1", 1250), key="A-1")
        await system.publish("orders.paid", OrderPaid("A-1", 1250), key="A-1")  # dropped
        await system.publish("orders.paid", OrderPaid("A-2", -5), key="A-2")  # poison
        await system.publish("orders.paid", OrderPaid("A-3", 990), key="A-3")

        parent = await system.spawn(lambda: Restarts(charged), name="accounts")
        billing = await parent.ask("billing")
        await system.subscribe(
            billing, "orders.>", durable="billing", max_deliver=3, backoff=[0.05, 0.2]
        )
        # A-3 is handled while A-2 waits for its redeliveries; A-2 gives up last.
        async with asyncio.timeout(20):
            await gave_up.wait()


# --8<-- [end:main]


# --8<-- [start:run]
def run() -> None:
    if len(sys.argv) > 1:
        asyncio.run(main(sys.argv[1]))
        return
    from actors.testing import NatsServer

    with NatsServer(jetstream=True) as server:
        asyncio.run(main(server.url))
        server.close()


if __name__ == "__main__":
    run()


# --8<-- [end:run]
