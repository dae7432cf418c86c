"""Quick start: an actor, tell and ask, a failure handled by its parent, dead letters.

Run it with ``make demo`` or ``python -m examples.quickstart``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from actors import Actor, ActorFailed, ActorSystem, ChildFailure


# --8<-- [start:counter]
@dataclass(frozen=True)
class Increment:
    by: int = 1


@dataclass(frozen=True)
class GetCount:
    pass


class Counter(Actor):
    def __init__(self, start: int = 0) -> None:
        self.count = start

    async def receive(self, message: Any) -> Any:
        match message:
            case Increment(by=n):
                if n < 0:
                    raise ValueError(f"cannot count down by {n}")
                self.count += n
            case GetCount():
                return self.count  # the return value answers ask()
        return None


# --8<-- [end:counter]


# --8<-- [start:parent]
class Keeper(Actor):
    """Keeps a counter alive: a failed counter is restarted with a fresh instance."""

    async def on_start(self) -> None:
        await self.context.spawn(Counter, name="counter")

    def receive(self, message: Any) -> Any:
        return None

    async def on_child_failed(self, failure: ChildFailure) -> None:
        print(f"  {failure.child.path} failed ({failure.error}); restarting it")
        await self.context.restart_child(failure.child)


# --8<-- [end:parent]


async def main() -> dict[str, int]:
    # --8<-- [start:main]
    async with ActorSystem("quickstart") as system:
        await system.spawn(Keeper, name="keeper")
        counter = system.lookup("/keeper/counter")
        assert counter is not None

        await counter.tell(Increment(2))  # waits for room if the mailbox is full
        counter.tell_nowait(Increment(1))  # never waits; raises MailboxFull when full
        print("count:", await counter.ask(GetCount(), timeout=5.0))

        try:
            await counter.ask(Increment(-1))  # the handler raises...
        except ActorFailed as failure:  # ...and the asker hears at once
            print("ask failed:", failure.__cause__)
        count = await counter.ask(GetCount())  # the same ref, a fresh instance
        print("count after restart:", count)
        print("dead letters:", system.dead_letters.by_reason)
    # --8<-- [end:main]
    return {"count": count, "dead_letters": system.dead_letters.count}


if __name__ == "__main__":
    asyncio.run(main())
