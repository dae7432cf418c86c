"""The kernel's reload hooks: a child reconfigured in place, children reordered, a pool
resized, a mailbox resized; none restarts anything or loses a queued message."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from actors import Actor, ActorRef, ActorSystem, MailboxFull, Overflow, Pool, ResizePool


class Counter(Actor):
    def __init__(self, start: int = 0) -> None:
        self.count = start

    def receive(self, message: Any) -> Any:
        if message == "count":
            return self.count
        self.count += 1
        return self.count


class Gate(Actor):
    """Waits on an event in its first message, so that later ones queue."""

    def __init__(self, gate: asyncio.Event, entered: asyncio.Event) -> None:
        self.gate = gate
        self.entered = entered

    async def receive(self, message: Any) -> Any:
        if message == "wait":
            self.entered.set()
            await self.gate.wait()
        return message


class Parent(Actor):
    async def receive(self, message: Any) -> Any:
        match message:
            case ("spawn", name, factory):
                return await self.context.spawn(factory, name=name, capacity=2)
            case ("reconfigure", ref, factory, capacity, overflow):
                self.context.reconfigure_child(
                    ref, factory=factory, shutdown=1.0, capacity=capacity, overflow=overflow
                )
            case ("restart", ref):
                await self.context.restart_child(ref)
            case ("order", names):
                self.context.order_children(names)
                return [child.name for child in self.context.children]
        return None


async def test_reconfigure_child_resizes_the_mailbox_and_swaps_the_factory() -> None:
    gate, entered = asyncio.Event(), asyncio.Event()
    async with ActorSystem("t") as system:
        parent = await system.spawn(Parent, name="parent")
        child: ActorRef = await parent.ask(("spawn", "gate", lambda: Gate(gate, entered)))
        child.tell_nowait("wait")
        await entered.wait()
        child.tell_nowait(1)
        child.tell_nowait(2)
        with pytest.raises(MailboxFull):
            child.tell_nowait(3)  # capacity 2, full
        blocked = asyncio.ensure_future(child.tell(3))
        await parent.ask(("reconfigure", child, lambda: Counter(10), 4, Overflow.REJECT))
        await blocked  # the larger mailbox took the blocked sender in
        assert child.statistics().capacity == 4
        assert child._cell.mailbox.overflow is Overflow.REJECT
        assert child._cell.shutdown_timeout == 1.0
        assert child._cell.incarnation == 1
        gate.set()
        assert await child.ask("sync") == "sync"  # the old instance served every message
        stats = child.statistics()
        assert stats.processed == stats.accepted == 5
        await parent.ask(("restart", child))
        assert await child.ask("count") == 10  # the next incarnation comes from the new factory


async def test_a_smaller_mailbox_keeps_every_queued_message() -> None:
    gate, entered = asyncio.Event(), asyncio.Event()
    async with ActorSystem("t") as system:
        parent = await system.spawn(Parent, name="parent")
        child: ActorRef = await parent.ask(("spawn", "gate", lambda: Gate(gate, entered)))
        child.tell_nowait("wait")
        await entered.wait()
        child.tell_nowait(1)
        child.tell_nowait(2)
        await parent.ask(
            ("reconfigure", child, lambda: Gate(gate, entered), 1, Overflow.DROP_NEWEST)
        )
        child.tell_nowait(3)  # dropped at the door: depth 2 >= capacity 1
        gate.set()
        await parent.ask(("reconfigure", child, lambda: Gate(gate, entered), 9, Overflow.BLOCK))
        assert await child.ask("sync") == "sync"
        stats = child.statistics()
        assert (stats.accepted, stats.processed, stats.dead_lettered) == (
            4,
            4,
            0,
        )  # wait, 1, 2, sync; 3 was never accepted


async def test_order_children_sets_the_start_and_stop_order() -> None:
    async with ActorSystem("t") as system:
        parent = await system.spawn(Parent, name="parent")
        for name in ("a", "b", "c"):
            await parent.ask(("spawn", name, Counter))
        assert await parent.ask(("order", ["c", "a"])) == ["c", "a", "b"]
        with pytest.raises(ValueError, match="not distinct children"):
            parent._cell.context.order_children(["a", "a"])
        with pytest.raises(ValueError, match="not distinct children"):
            parent._cell.context.order_children(["zz"])


async def test_resize_pool_grows_and_shrinks_without_restarting_the_routees_it_keeps() -> None:
    async with ActorSystem("t") as system:
        pool = await system.spawn(Pool.factory(Counter, 2), name="pool")
        instance = pool._cell.instance
        assert isinstance(instance, Pool)
        first = instance.routees[0]
        await pool.ask(ResizePool(4))
        assert [r.name for r in instance.routees] == [f"routee-{n}" for n in range(4)]
        last = instance.routees[3]
        await pool.ask(ResizePool(1))
        assert instance.routees == (first,)
        assert first._cell.incarnation == 1
        assert not last.is_alive
        with pytest.raises(ValueError, match="size >= 1"):
            ResizePool(0)
        assert repr(ResizePool(2)) == "ResizePool(2)"
