"""How-to "Tune mailboxes and overflow": capacity, the four overflow policies, statistics.

Run it with ``python -m examples.mailboxes``.
"""

# --8<-- [start:imports]
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from actors import Actor, ActorRef, ActorSystem, MailboxFull, Overflow
from supervision import ChildSpec, OneForOne, Supervisor

# --8<-- [end:imports]


# --8<-- [start:worker]
@dataclass(frozen=True)
class Hold:
    """Keeps the worker busy until ``release`` is set, so that its mailbox fills up."""

    started: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)


class Worker(Actor):
    def __init__(self) -> None:
        self.handled: list[Any] = []

    async def receive(self, message: Any) -> Any:
        match message:
            case Hold(started, release):
                started.set()
                await release.wait()
            case "handled":
                return list(self.handled)
            case _:
                self.handled.append(message)
        return None


async def hold(worker: ActorRef) -> asyncio.Event:
    """Make ``worker`` busy; set the returned event to let it go on."""
    busy = Hold()
    await worker.tell(busy)
    await busy.started.wait()
    return busy.release


# --8<-- [end:worker]


# --8<-- [start:block]
async def block(system: ActorSystem) -> list[Any]:
    worker = await system.spawn(Worker, name="block", capacity=2)  # Overflow.BLOCK
    release = await hold(worker)
    await worker.tell(1)
    await worker.tell(2)  # the mailbox is full now

    try:
        worker.tell_nowait(3)  # never waits
    except MailboxFull as full:
        print("tell_nowait refused", full.message)  # the sender keeps the message

    try:
        await worker.tell(3, timeout=0.05)  # waits for room, at most 50 ms
    except MailboxFull as full:
        print("tell gave up on", full.message)

    waiting = asyncio.create_task(worker.tell(3))  # waits for room as long as it takes
    release.set()  # the worker goes on, makes room, and the waiting sender gets in
    await waiting
    handled = await worker.ask("handled")
    print("handled:", handled)  # [1, 2, 3]: nothing lost, the sender slowed down
    return list(handled)


# --8<-- [end:block]


# --8<-- [start:reject]
async def reject(system: ActorSystem) -> list[Any]:
    worker = await system.spawn(Worker, name="reject", capacity=2, overflow=Overflow.REJECT)
    release = await hold(worker)
    refused = []
    for n in range(1, 5):
        try:
            await worker.tell(n)  # never waits under REJECT
        except MailboxFull as full:
            refused.append(full.message)
    release.set()
    await system.wait_idle()  # (an ask now would be refused too: the mailbox is still full)
    print("refused:", refused, "handled:", await worker.ask("handled"))  # [3, 4] [1, 2]
    return refused


# --8<-- [end:reject]


# --8<-- [start:drop]
async def drop(system: ActorSystem) -> dict[str, list[Any]]:
    handled = {}
    for overflow in (Overflow.DROP_NEWEST, Overflow.DROP_OLDEST):
        worker = await system.spawn(Worker, name=overflow.value, capacity=2, overflow=overflow)
        release = await hold(worker)
        for n in range(1, 5):
            await worker.tell(n)  # never waits, never raises: something is dropped
        release.set()
        await system.wait_idle()
        handled[overflow.value] = await worker.ask("handled")
    print(handled)  # {'drop_newest': [1, 2], 'drop_oldest': [3, 4]}
    dropped = [letter.message for letter in system.dead_letters.recent]
    print("dead letters:", dropped)  # [3, 4, 1, 2]: every drop, reason mailbox_full
    return handled


# --8<-- [end:drop]


# --8<-- [start:statistics]
async def statistics(system: ActorSystem) -> None:
    worker = await system.spawn(Worker, name="measured", capacity=100)
    release = await hold(worker)
    for n in range(30):
        await worker.tell(n)
    stats = worker.statistics()
    print(f"depth {stats.depth}/{stats.capacity}, high-water mark {stats.high_water_mark}")
    release.set()
    await system.wait_idle()
    stats = worker.statistics()
    print(f"accepted {stats.accepted} = processed {stats.processed}")  # the ledger holds


# --8<-- [end:statistics]


# --8<-- [start:spec]
class Ingest(Supervisor):
    strategy = OneForOne()
    children = (
        # Metrics samples: only the latest matter; never slow the producers down.
        ChildSpec("samples", Worker, capacity=10_000, overflow=Overflow.DROP_OLDEST),
        # Orders: never lose one; producers wait when the writer falls behind.
        ChildSpec("orders", Worker, capacity=500, overflow=Overflow.BLOCK),
    )


# --8<-- [end:spec]


# --8<-- [start:main]
async def main() -> dict[str, Any]:
    async with ActorSystem("mailboxes") as system:
        blocked = await block(system)
        refused = await reject(system)
        dropped = await drop(system)
        await statistics(system)
        await system.spawn(Ingest, name="ingest")
        dead = system.dead_letters.by_reason
    return {"block": blocked, "reject": refused, "drop": dropped, "dead_letters": dead}


if __name__ == "__main__":
    asyncio.run(main())
# --8<-- [end:main]
