"""Spawning, paths, start failures and graceful stop (semantics 4, 5, 10)."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import pytest

from actors import Actor, ActorRef, ActorStartError, ActorStopped, ActorSystem

from ._helpers import Gate, Recorder


class Lifecycle(Actor):
    """Writes its lifecycle into a shared journal."""

    def __init__(self, journal: list[str], tag: str, children: tuple[str, ...] = ()) -> None:
        self.journal = journal
        self.tag = tag
        self.child_names = children

    async def on_start(self) -> None:
        self.journal.append(f"start {self.tag}")
        for name in self.child_names:
            await self.context.spawn(
                functools.partial(Lifecycle, self.journal, f"{self.tag}/{name}"), name=name
            )

    async def receive(self, message: Any) -> Any:
        self.journal.append(f"{self.tag} got {message}")
        return message

    async def on_stop(self) -> None:
        self.journal.append(f"stop {self.tag}")


class FailsToStart(Actor):
    def __init__(self, journal: list[str]) -> None:
        self.journal = journal

    async def on_start(self) -> None:
        await self.context.spawn(functools.partial(Lifecycle, self.journal, "orphan"), name="kid")
        raise ValueError("no database")


async def test_spawn_returns_after_on_start_finished(actor_system: ActorSystem) -> None:
    journal: list[str] = []
    await actor_system.spawn(functools.partial(Lifecycle, journal, "a"), name="a")
    assert journal == ["start a"]


async def test_paths_name_top_level_actors_and_children(actor_system: ActorSystem) -> None:
    journal: list[str] = []
    ref = await actor_system.spawn(
        functools.partial(Lifecycle, journal, "shop", ("orders", "payments")), name="shop"
    )
    assert ref.path == "/shop"
    assert ref.name == "shop"
    assert repr(ref) == "<ActorRef /shop>"
    orders = actor_system.lookup("/shop/orders")
    assert orders is not None
    assert orders.path == "/shop/orders"
    assert actor_system.lookup("/shop") is ref
    assert actor_system.lookup("/nobody") is None
    assert [r.path for r in actor_system.actors] == ["/shop", "/shop/orders", "/shop/payments"]


async def test_a_duplicate_sibling_name_raises_value_error(actor_system: ActorSystem) -> None:
    await actor_system.spawn(Recorder, name="dup")
    with pytest.raises(ValueError, match="'dup' already exists"):
        await actor_system.spawn(Recorder, name="dup")


@pytest.mark.parametrize("name", ["", "a/b", "with space", "$reserved"])
async def test_an_invalid_name_raises_value_error(actor_system: ActorSystem, name: str) -> None:
    with pytest.raises(ValueError, match="invalid actor name"):
        await actor_system.spawn(Recorder, name=name)


async def test_generated_names_are_unique(actor_system: ActorSystem) -> None:
    refs = [await actor_system.spawn(Recorder) for _ in range(3)]
    assert len({ref.path for ref in refs}) == 3


async def test_refs_are_hashable_and_equal_only_to_themselves(actor_system: ActorSystem) -> None:
    a = await actor_system.spawn(Recorder, name="a")
    b = await actor_system.spawn(Recorder, name="b")
    assert {a: 1, b: 2}[actor_system.lookup("/a")] == 1  # type: ignore[index]
    assert a != b


async def test_on_start_raising_fails_spawn_and_leaves_nothing_registered(
    actor_system: ActorSystem,
) -> None:
    journal: list[str] = []
    with pytest.raises(ActorStartError) as raised:
        await actor_system.spawn(functools.partial(FailsToStart, journal), name="broken")
    assert isinstance(raised.value.__cause__, ValueError)
    assert raised.value.path == "/broken"
    assert actor_system.lookup("/broken") is None
    assert actor_system.lookup("/broken/kid") is None
    assert actor_system.actors == ()
    assert journal == ["start orphan", "stop orphan"]
    # The name is free again.
    await actor_system.spawn(Recorder, name="broken")


async def test_a_factory_that_returns_no_actor_fails_spawn(actor_system: ActorSystem) -> None:
    with pytest.raises(ActorStartError) as raised:
        await actor_system.spawn(lambda: "not an actor")  # type: ignore[arg-type,return-value]
    assert isinstance(raised.value.__cause__, TypeError)


async def test_a_non_callable_factory_raises_type_error(actor_system: ActorSystem) -> None:
    with pytest.raises(TypeError, match="callable"):
        await actor_system.spawn(42)  # type: ignore[arg-type]


async def test_graceful_stop_processes_queued_messages_then_runs_on_stop(
    actor_system: ActorSystem,
) -> None:
    journal: list[str] = []
    ref = await actor_system.spawn(functools.partial(Lifecycle, journal, "a"))
    for i in range(3):
        ref.tell_nowait(i)
    await ref.stop()
    assert journal == ["start a", "a got 0", "a got 1", "a got 2", "stop a"]
    assert not ref.is_alive
    assert actor_system.dead_letters.count == 0


async def test_tells_after_stop_become_dead_letters_with_reason_stopped(
    actor_system: ActorSystem,
) -> None:
    ref = await actor_system.spawn(Recorder)
    await ref.stop()
    await ref.tell("late")
    ref.tell_nowait("later")
    assert [(d.message, d.reason) for d in actor_system.dead_letters.recent] == [
        ("late", "stopped"),
        ("later", "stopped"),
    ]


async def test_children_stop_first_in_reverse_start_order(actor_system: ActorSystem) -> None:
    journal: list[str] = []
    ref = await actor_system.spawn(
        functools.partial(Lifecycle, journal, "p", ("c1", "c2", "c3")), name="p"
    )
    journal.clear()
    await ref.stop()
    assert journal == ["stop p/c3", "stop p/c2", "stop p/c1", "stop p"]
    assert actor_system.actors == ()


async def test_a_stop_past_its_timeout_cancels_and_dead_letters_the_rest(
    actor_system: ActorSystem, virtual_time: Any
) -> None:
    gate = asyncio.Event()  # never set
    log: list[Any] = []
    ref = await actor_system.spawn(functools.partial(Gate, gate, log))
    ref.tell_nowait("wait")
    ref.tell_nowait(1)
    ref.tell_nowait(2)
    await asyncio.sleep(0)
    began = virtual_time.time()
    await ref.stop(timeout=4.0)
    assert virtual_time.time() - began == pytest.approx(4.0)
    assert not ref.is_alive
    letters = actor_system.dead_letters.recent
    assert [(d.message, d.reason) for d in letters] == [
        ("wait", "timeout"),
        (1, "timeout"),
        (2, "timeout"),
    ]
    stats = ref.statistics()
    assert stats.accepted == stats.processed + stats.dead_lettered == 3


async def test_wait_stopped_returns_only_after_on_stop_finished(
    actor_system: ActorSystem, virtual_time: Any
) -> None:
    journal: list[str] = []

    class SlowStop(Actor):
        def receive(self, message: Any) -> Any:
            return None

        async def on_stop(self) -> None:
            await asyncio.sleep(1.0)
            journal.append("on_stop done")

    ref = await actor_system.spawn(SlowStop)
    stopper = asyncio.create_task(ref.stop())
    await ref.wait_stopped()
    assert journal == ["on_stop done"]
    await stopper


async def test_kill_stops_at_once_without_on_stop(actor_system: ActorSystem) -> None:
    journal: list[str] = []
    ref = await actor_system.spawn(functools.partial(Lifecycle, journal, "k", ("kid",)))
    kid = actor_system.lookup(ref.path + "/kid")
    assert kid is not None
    ref.tell_nowait("queued")
    ref.kill()
    assert not ref.is_alive
    assert not kid.is_alive
    await ref.wait_stopped()
    assert "stop k" not in journal
    assert [(d.message, d.reason) for d in actor_system.dead_letters.recent] == [
        ("queued", "stopped")
    ]


async def test_an_actor_can_stop_itself(actor_system: ActorSystem) -> None:
    class Quitter(Actor):
        def receive(self, message: Any) -> Any:
            self.context.stop()
            return "bye"

    ref = await actor_system.spawn(Quitter)
    assert await ref.ask("quit") == "bye"
    await ref.wait_stopped()
    assert actor_system.lookup(ref.path) is None


async def test_shutdown_stops_top_level_actors_in_reverse_spawn_order() -> None:
    journal: list[str] = []
    system = ActorSystem("order")
    for tag in ("first", "second", "third"):
        await system.spawn(functools.partial(Lifecycle, journal, tag), name=tag)
    await system.shutdown()
    assert journal[3:] == ["stop third", "stop second", "stop first"]
    assert system.is_closed
    with pytest.raises(ActorStopped):
        await system.spawn(Recorder)


async def test_no_task_is_left_after_shutdown() -> None:
    before = asyncio.all_tasks()
    async with ActorSystem("leaks") as system:
        parent = await system.spawn(functools.partial(Lifecycle, [], "p", ("a", "b")), name="p")
        for i in range(10):
            await parent.tell(i)
        gate = asyncio.Event()
        stuck = await system.spawn(functools.partial(Gate, gate, []), shutdown=0.01)
        stuck.tell_nowait("wait")
    assert asyncio.all_tasks() == before


async def test_context_is_unavailable_before_start() -> None:
    actor = Recorder()
    with pytest.raises(RuntimeError, match="not available before the actor is started"):
        _ = actor.context


async def test_context_reports_parent_children_and_sender(actor_system: ActorSystem) -> None:
    seen: dict[str, Any] = {}

    class Child(Actor):
        def receive(self, message: Any) -> Any:
            seen["sender"] = self.context.sender
            seen["parent"] = self.context.parent
            return None

    class Parent(Actor):
        async def on_start(self) -> None:
            self.kid: ActorRef = await self.context.spawn(Child, name="kid")

        async def receive(self, message: Any) -> Any:
            await self.kid.ask(message)
            return self.context.children

    parent = await actor_system.spawn(Parent, name="parent")
    children = await parent.ask("hi")
    assert [c.path for c in children] == ["/parent/kid"]
    assert seen == {"sender": parent, "parent": parent}
