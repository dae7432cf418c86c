"""Tutorial "The event bus": topics, subscriptions, overflow and dead letters.

Run it with ``python -m examples.bus.orders``.
"""

# --8<-- [start:imports]
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from actors import Actor, ActorSystem, DeadLetter, EventBus, Overflow

# --8<-- [end:imports]


# --8<-- [start:events]
@dataclass(frozen=True)
class OrderPlaced:
    order_id: int
    total: float


@dataclass(frozen=True)
class OrderShipped:
    order_id: int


# --8<-- [end:events]


# --8<-- [start:declared]
class Audit(Actor):
    """Keeps every order event, with the topic it was published on."""

    subscriptions = ("orders.>",)  # subscribed after on_start, and again after a restart

    def __init__(self) -> None:
        self.trail: list[str] = []

    def receive(self, message: Any) -> Any:
        if message == "trail":
            return list(self.trail)
        self.trail.append(f"{self.context.topic}: {message}")
        return None


# --8<-- [end:declared]


# --8<-- [start:runtime]
class Dashboard(Actor):
    """Counts placed orders per region; only the latest figures matter, so when it falls
    behind it drops the oldest events rather than slow anyone down."""

    def __init__(self) -> None:
        self.placed: dict[str, int] = {}

    async def on_start(self) -> None:
        await self.context.system.subscribe(
            self.context.ref, "orders.*.placed", overflow=Overflow.DROP_OLDEST
        )

    def receive(self, message: Any) -> Any:
        if message == "placed":
            return dict(self.placed)
        topic = self.context.topic
        assert topic is not None
        region = topic.split(".")[1]  # orders.<region>.placed
        self.placed[region] = self.placed.get(region, 0) + 1
        return None


# --8<-- [end:runtime]


# --8<-- [start:dead_letters]
class DeadLetterQueue(Actor):
    """Keeps every dead letter of the system (a real one would write them to storage)."""

    subscriptions = (EventBus.DEAD_LETTER_TOPIC,)  # "system.dead_letters"

    def __init__(self) -> None:
        self.kept: list[DeadLetter] = []

    def receive(self, message: Any) -> Any:
        if message == "kept":
            return list(self.kept)
        self.kept.append(message)
        return None


class Shipping(Actor):
    """Ships orders; here it only exists to be stopped, so that a message to it is a dead
    letter."""

    def receive(self, message: Any) -> Any:
        return None


# --8<-- [end:dead_letters]


# --8<-- [start:main]
async def main() -> dict[str, Any]:
    async with ActorSystem("orders") as system:
        audit = await system.spawn(Audit, name="audit")
        dashboard = await system.spawn(Dashboard, name="dashboard")
        dead_letter_queue = await system.spawn(DeadLetterQueue, name="dead-letters")

        await system.publish("orders.eu.placed", OrderPlaced(1, 25.0))
        await system.publish("orders.us.placed", OrderPlaced(2, 40.0))
        await system.publish("orders.eu.shipped", OrderShipped(1))
        await system.publish("payments.eu.settled", 1)  # nobody listens: not an error
        await system.wait_idle()

        trail = await audit.ask("trail")
        placed = await dashboard.ask("placed")
        print("audit trail:", *trail, sep="\n  ")
        print("placed per region:", placed)

        shipping = await system.spawn(Shipping, name="shipping")
        await shipping.stop()
        await shipping.tell(OrderShipped(2))  # too late: a dead letter...
        await system.wait_idle()
        kept = await dead_letter_queue.ask("kept")  # ...kept by the dead-letter queue
        print("dead letters:", *kept, sep="\n  ")
    return {"trail": trail, "placed": placed, "dead_letters": kept}


# --8<-- [end:main]


# --8<-- [start:run]
if __name__ == "__main__":
    asyncio.run(main())
# --8<-- [end:run]
