"""Tutorial "A supervisor, then a tree": restart strategies, escalation, giving up.

Run it with ``python -m examples.supervision.tree``.
"""

# --8<-- [start:imports]
from __future__ import annotations

import asyncio
import functools
from typing import Any

from actors import Actor, ActorSystem
from supervision import (
    Backoff,
    ChildSpec,
    OneForOne,
    Restart,
    RestartIntensityExceeded,
    RestForOne,
    Supervisor,
    WhichChildren,
)

# --8<-- [end:imports]


# --8<-- [start:workers]
class Ledger(Actor):
    """Keeps the balance. Its state is lost when it restarts, so it is started first."""

    def __init__(self) -> None:
        self.balance = 0

    def receive(self, message: Any) -> Any:
        match message:
            case ("credit", int(amount)):
                self.balance += amount
                return None
            case "balance":
                return self.balance
            case _:
                raise TypeError(f"the ledger does not understand {message!r}")


class Gateway(Actor):
    """Talks to a payment provider; raises when the provider is down."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def receive(self, message: Any) -> Any:
        match message:
            case ("charge", int(amount)) if amount > 0:
                ledger = self.context.system.lookup("/shop/payments/ledger")
                assert ledger is not None
                await ledger.tell(("credit", amount))
                return "charged"
            case ("charge", amount):
                raise ValueError(f"{self.url} refused to charge {amount}")


# --8<-- [end:workers]


# --8<-- [start:supervisor]
class Payments(Supervisor):
    # If the ledger restarts, the gateway (started after it) restarts too.
    strategy = RestForOne(max_restarts=3, within=5.0, backoff=Backoff(min=0.1, max=5.0))
    children = (
        ChildSpec("ledger", Ledger),
        ChildSpec(
            "gateway",
            functools.partial(Gateway, url="https://pay.example"),
            restart=Restart.TRANSIENT,
            shutdown=10.0,
        ),
    )


# --8<-- [end:supervisor]


# --8<-- [start:tree]
class Orders(Actor):
    def receive(self, message: Any) -> Any:
        return f"order {message} accepted"


class Shop(Supervisor):
    strategy = OneForOne(max_restarts=1, within=60.0)
    children = (
        ChildSpec("orders", Orders),
        ChildSpec("payments", Payments),  # a supervisor as a child: a tree
    )


# --8<-- [end:tree]


# --8<-- [start:main]
async def main() -> dict[str, Any]:
    system = ActorSystem("shop")
    shop = await system.spawn(Shop, name="shop")  # returns once every child has started
    gateway = system.lookup("/shop/payments/gateway")
    assert gateway is not None

    print(await gateway.ask(("charge", 30)))
    try:
        await gateway.ask(("charge", -5))  # the gateway fails and is restarted...
    except Exception as error:
        print("charge failed:", error.__cause__)
    await asyncio.sleep(0.2)  # ...after its backoff delay (0.1 s, with jitter)
    print(await gateway.ask(("charge", 12)))  # the same ref, a fresh instance

    ledger = system.lookup("/shop/payments/ledger")
    assert ledger is not None
    print("balance:", await ledger.ask("balance"))  # untouched: rest_for_one
    for child in await shop.ask(WhichChildren()):
        print(f"  {child.name}: {child.state} ({child.restart.value})")

    # Feed the ledger garbage until payments gives up, then the shop does.
    try:
        while not system.is_closed:
            ledger = system.lookup("/shop/payments/ledger")
            if ledger is not None:
                await ledger.tell(("credit", "not a number"))
            await asyncio.sleep(0.05)
        await system.wait_closed()
    except RestartIntensityExceeded as error:
        print("the shop gave up:")
        for link in error.chain:
            print(f"  {type(link).__name__}: {link}")
    await system.shutdown()
    return {"closed": system.is_closed}


if __name__ == "__main__":
    asyncio.run(main())
# --8<-- [end:main]
