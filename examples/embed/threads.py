"""How-to "Embed the runtime in a service": calling actors from a plain thread, as a Flask
or Django view would (``python -m examples.embed.threads``)."""

from __future__ import annotations

# --8<-- [start:threads]
import asyncio
import threading
from typing import Any

from actors import Actor, ActorRef, ActorSystem, AskTimeout, correlation_scope


class Totals(Actor):
    def __init__(self) -> None:
        self.total = 0

    def receive(self, message: Any) -> Any:
        self.total += message
        return self.total


def view(system: ActorSystem, totals: ActorRef, amount: int) -> str:
    """Synchronous code in another thread: it blocks until the actor answered."""
    with correlation_scope(f"request-{amount}"):  # optional: the messages' correlation id
        try:
            total = system.from_thread.ask(totals, amount, timeout=2.0)
        except AskTimeout:
            return "busy, try again"
    return f"total is {total}"


async def main() -> list[str]:
    async with ActorSystem("threads") as system:
        totals = await system.spawn(Totals, name="totals")
        answers: list[str] = []
        threads = [
            threading.Thread(target=lambda n=n: answers.append(view(system, totals, n)))
            for n in (1, 2, 3)
        ]
        for thread in threads:
            thread.start()
        # The loop must keep running while the threads wait on it: join them off the loop.
        await asyncio.to_thread(lambda: [thread.join() for thread in threads])
        return sorted(answers)


if __name__ == "__main__":
    print(asyncio.run(main()))
# --8<-- [end:threads]
