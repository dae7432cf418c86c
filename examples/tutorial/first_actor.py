"""Tutorial "Your first actor": define an actor, spawn it, send it messages, stop it.

Run it with ``python -m examples.tutorial.first_actor``.
"""

# --8<-- [start:imports]
from __future__ import annotations

import asyncio
from typing import Any

from actors import Actor, ActorSystem

# --8<-- [end:imports]


# --8<-- [start:actor]
class Greeter(Actor):
    """Greets people, and remembers how many it has greeted."""

    def __init__(self, greeting: str = "Hello") -> None:
        self.greeting = greeting  # private state: only this actor's task touches it
        self.greeted = 0

    async def on_start(self) -> None:
        print(f"{self.context.path} is ready")

    async def receive(self, message: Any) -> Any:
        self.greeted += 1
        return f"{self.greeting}, {message}! (#{self.greeted})"

    async def on_stop(self) -> None:
        print(f"{self.context.path} stops after {self.greeted} greetings")


# --8<-- [end:actor]


# --8<-- [start:main]
async def main() -> list[str]:
    async with ActorSystem("hello") as system:
        greeter = await system.spawn(Greeter, name="greeter")  # after on_start finished
        print(greeter)  # <ActorRef /greeter>

        replies = [await greeter.ask(name) for name in ("Ada", "Grace", "Barbara")]
        for reply in replies:
            print(reply)

        await greeter.stop()  # graceful: queued messages first, then on_stop
        print("alive:", greeter.is_alive)
    return replies


# --8<-- [end:main]


# --8<-- [start:factory]
async def with_arguments() -> str:
    async with ActorSystem("hello") as system:
        # A factory is any zero-argument callable returning an actor. The runtime calls it
        # again for every restart, so the arguments go in the factory, not in an instance.
        greeter = await system.spawn(lambda: Greeter("Bonjour"), name="greeter")
        reply: str = await greeter.ask("Marie")
    return reply  # "Bonjour, Marie! (#1)"


# --8<-- [end:factory]


# --8<-- [start:run]
if __name__ == "__main__":
    asyncio.run(main())
    print(asyncio.run(with_arguments()))
# --8<-- [end:run]
