"""Worker pools: routing strategies, replies, backpressure, supervision of routees."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from actors import (
    Actor,
    ActorStartError,
    ActorSystem,
    MailboxFull,
    Overflow,
    Pool,
    Routing,
)
from actors.testing import VirtualTimeLoop


class Named(Actor):
    """Answers with its own name; ("sleep", s) holds it busy; "boom" raises."""

    async def receive(self, message: Any) -> Any:
        match message:
            case ("sleep", seconds):
                await asyncio.sleep(seconds)
            case "boom":
                raise RuntimeError("routee failed")
            case "quit":
                self.context.stop()
        return self.context.name


async def test_round_robin_spreads_messages_in_turn(actor_system: ActorSystem) -> None:
    pool = await actor_system.spawn_pool(Named, size=3, name="workers")
    answers = [await pool.ask(i) for i in range(6)]
    assert answers == ["routee-0", "routee-1", "routee-2"] * 2
    assert pool.path == "/workers"
    assert actor_system.lookup("/workers/routee-2") is not None


async def test_an_ask_is_answered_by_the_routee_and_routees_work_in_parallel(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop
) -> None:
    pool = await actor_system.spawn_pool(Named, size=4)
    began = virtual_time.time()
    answers = await asyncio.gather(*(pool.ask(("sleep", 1.0)) for _ in range(4)))
    assert sorted(answers) == [f"routee-{i}" for i in range(4)]
    assert virtual_time.time() - began == pytest.approx(1.0)  # not 4.0: in parallel


async def test_least_loaded_skips_a_busy_routee(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop
) -> None:
    pool = await actor_system.spawn_pool(Named, size=3, routing=Routing.LEAST_LOADED)
    busy = asyncio.create_task(pool.ask(("sleep", 10.0), timeout=30.0))  # routee-0 busy
    await asyncio.sleep(0.1)
    answers = [await pool.ask("x") for _ in range(4)]
    assert "routee-0" not in answers
    assert await busy == "routee-0"


async def test_consistent_hash_sends_the_same_key_to_the_same_routee(
    actor_system: ActorSystem,
) -> None:
    pool = await actor_system.spawn_pool(
        Named, size=5, routing=Routing.CONSISTENT_HASH, key=lambda message: message[0]
    )
    first = {key: await pool.ask((key, 0)) for key in range(40)}
    again = {key: await pool.ask((key, 1)) for key in range(40)}
    assert first == again
    assert len(set(first.values())) > 1  # keys are spread over the routees


async def test_broadcast_delivers_to_every_routee(actor_system: ActorSystem) -> None:
    seen: list[str] = []

    class Collect(Actor):
        def receive(self, message: Any) -> Any:
            seen.append(self.context.name)
            return self.context.name

    pool = await actor_system.spawn_pool(Collect, size=3, routing=Routing.BROADCAST)
    await pool.tell("hello")
    await actor_system.wait_idle()
    assert sorted(seen) == ["routee-0", "routee-1", "routee-2"]


async def test_when_all_routees_are_full_tell_on_the_pool_waits(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop
) -> None:
    pool = await actor_system.spawn_pool(Named, size=2, capacity=1, routee_capacity=1, name="tight")
    for _ in range(2):
        await pool.tell(("sleep", 5.0))  # each routee busy
    await asyncio.sleep(0)
    await pool.tell("q0")
    await pool.tell("q1")  # both routee mailboxes now full
    await pool.tell("p0")  # the pool's handler holds this, waiting for a routee
    await pool.tell("p1")  # the pool's own mailbox (capacity 1) holds this
    blocked = asyncio.create_task(pool.tell("p2"))
    await asyncio.sleep(1.0)
    assert not blocked.done()  # backpressure reached the sender
    with pytest.raises(MailboxFull):
        pool.tell_nowait("p3")
    await blocked
    await actor_system.wait_idle()
    assert actor_system.dead_letters.count == 0


async def test_a_failed_routee_is_restarted_and_keeps_its_place(
    actor_system: ActorSystem,
) -> None:
    pool = await actor_system.spawn_pool(Named, size=2)
    routee = actor_system.lookup(pool.path + "/routee-0")
    assert routee is not None
    await routee.tell("boom")
    await actor_system.wait_idle()
    assert routee.is_alive
    assert routee._cell.restarts == 1
    assert [await pool.ask(i) for i in range(2)] == ["routee-0", "routee-1"]


async def test_a_routee_that_stops_is_replaced_in_its_place(actor_system: ActorSystem) -> None:
    pool = await actor_system.spawn_pool(Named, size=3)
    old = actor_system.lookup(pool.path + "/routee-1")
    assert old is not None
    await old.tell("quit")
    await old.wait_stopped()
    await actor_system.wait_idle()
    new = actor_system.lookup(pool.path + "/routee-1")
    assert new is not None
    assert new is not old
    assert [c.name for c in pool._cell.children.values()] == ["routee-0", "routee-1", "routee-2"]


async def test_a_pool_past_its_restart_intensity_fails(actor_system: ActorSystem) -> None:
    from supervision import OneForOne, RestartIntensityExceeded, Supervisor

    failures: list[BaseException] = []

    class Parent(Supervisor):
        children = ()

        async def on_start(self) -> None:
            await super().on_start()
            self.pool = await self.context.spawn(
                Pool.factory(Named, 2, strategy=OneForOne(max_restarts=1, within=60.0)),
                name="pool",
            )

        async def on_child_failed(self, failure: Any) -> None:
            failures.append(failure.error)
            self.context.stop_child(failure.child)

    await actor_system.spawn(Parent, name="parent")
    routee = actor_system.lookup("/parent/pool/routee-0")
    assert routee is not None
    await routee.tell("boom")
    await actor_system.wait_idle()
    await routee.tell("boom")
    await actor_system.wait_idle()
    [error] = failures
    assert isinstance(error, RestartIntensityExceeded)
    assert isinstance(error.__cause__, RuntimeError)


@pytest.mark.parametrize(
    ("arguments", "error", "match"),
    [
        ({"size": 0}, ValueError, "size >= 1"),
        ({"size": 2, "routing": Routing.CONSISTENT_HASH}, ValueError, "needs key"),
        ({"size": 2, "routing": "round_robin"}, TypeError, "Routing member"),
    ],
)
async def test_invalid_pool_arguments_are_refused_before_anything_starts(
    actor_system: ActorSystem, arguments: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        await actor_system.spawn_pool(Named, **arguments)
    assert actor_system.actors == ()


async def test_a_routee_failing_to_start_fails_the_pool_spawn(actor_system: ActorSystem) -> None:
    class Broken(Actor):
        async def on_start(self) -> None:
            raise OSError("no")

    with pytest.raises(ActorStartError):
        await actor_system.spawn_pool(Broken, size=2)
    assert actor_system.actors == ()


async def test_the_pool_ledger_holds_under_drops(actor_system: ActorSystem) -> None:
    pool = await actor_system.spawn_pool(
        Named, size=2, routee_capacity=1, routee_overflow=Overflow.DROP_NEWEST
    )
    for _ in range(20):
        await pool.tell(("sleep", 0))
    await actor_system.wait_idle()
    for cell in [pool._cell, *pool._cell.children.values()]:
        stats = cell.statistics()
        assert stats.accepted == stats.processed + stats.dead_lettered
