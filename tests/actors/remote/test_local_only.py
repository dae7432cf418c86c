"""Where the runtime needs an actor of this process, a remote ref or a supervision
``PathRef`` gets a typed error naming the call and the ref (never an AttributeError from
inside the runtime), or works where it has a clear meaning (death watch of a remote ref)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from actors import (
    Actor,
    ActorFailed,
    ActorRef,
    ActorSystem,
    Subscribe,
    Terminated,
    Unsubscribe,
)
from actors.testing import NatsServer, TestProbe
from supervision import PathRef
from tests.actors.remote._cluster import Item, two_nodes

pytestmark = pytest.mark.real_time

REMOTE_REFUSAL = r"needs a local ActorRef; got remote ref b:/target"


class Echo(Actor):
    async def receive(self, message: Any) -> Any:
        return message


class Calls(Actor):
    """Runs the call it is asked with inside its own handler (where ``context`` is) and
    answers with what it raised, or None."""

    async def receive(self, message: Any) -> Any:
        try:
            result = message(self)
            if asyncio.iscoroutine(result):
                await result
        except Exception as error:
            return error
        return None


async def _raised(caller: ActorRef, call: Callable[[Calls], Any]) -> BaseException:
    """What ``call`` raised inside ``caller``'s handler."""
    error = await caller.ask(call)
    assert isinstance(error, BaseException), error
    return error


async def test_the_bus_refuses_a_remote_subscriber_by_name(nats_server: NatsServer) -> None:
    async with two_nodes(nats_server.url) as (a, b):
        await b.spawn(Echo, name="target")
        remote = a.remote_ref("b", "/target")
        with pytest.raises(TypeError, match=r"subscribe\(\) " + REMOTE_REFUSAL):
            await a.subscribe(remote, "orders.>")
        with pytest.raises(TypeError, match=r"unsubscribe\(\) " + REMOTE_REFUSAL):
            await a.unsubscribe(remote)
        # Sent straight to the bus actor: refused the same way, and the bus goes on.
        with pytest.raises(ActorFailed, match=r"Subscribe " + REMOTE_REFUSAL):
            await a.bus.ask(Subscribe(remote, "orders.>"))
        with pytest.raises(ActorFailed, match=r"Unsubscribe " + REMOTE_REFUSAL):
            await a.bus.ask(Unsubscribe(remote))
        probe = await TestProbe.create(a)
        await a.subscribe(probe.ref, "orders.>")
        await a.publish("orders.placed", Item(1))
        await probe.expect(Item(1))


async def test_child_directives_refuse_a_remote_ref_by_name(nats_server: NatsServer) -> None:
    async with two_nodes(nats_server.url) as (a, b):
        await b.spawn(Echo, name="target")
        remote = a.remote_ref("b", "/target")
        caller = await a.spawn(Calls, name="caller")
        directives: dict[str, Callable[[Calls], Awaitable[None] | None]] = {
            "resume_child": lambda actor: actor.context.resume_child(remote),
            "halt_child": lambda actor: actor.context.halt_child(remote),
            "restart_child": lambda actor: actor.context.restart_child(remote),
            "stop_child": lambda actor: actor.context.stop_child(remote),
        }
        for name, call in directives.items():
            error = await _raised(caller, call)
            assert isinstance(error, TypeError)
            assert f"{name}() needs a local ActorRef; got remote ref b:/target" in str(error)
        assert await remote.ask(Item(3)) == Item(3)  # nothing happened to the remote actor


class WatchesBoth(Actor):
    """Watches a remote and a local actor; on "stop remote" stops the remote one (its
    ``Terminated`` is queued while this handler runs), then unwatches the local one."""

    def __init__(self, remote: ActorRef, local: ActorRef, seen: asyncio.Queue[Any]) -> None:
        self.remote = remote
        self.local = local
        self.seen = seen

    async def on_start(self) -> None:
        self.context.watch(self.remote)
        self.context.watch(self.local)

    async def receive(self, message: Any) -> Any:
        if message == "stop remote":
            await self.remote.stop()
            self.context.unwatch(self.local)
            return "done"
        self.seen.put_nowait(message)
        return None


async def test_unwatching_with_a_remote_terminated_queued_keeps_it(
    nats_server: NatsServer,
) -> None:
    async with two_nodes(nats_server.url) as (a, b):
        await b.spawn(Echo, name="target")
        remote = a.remote_ref("b", "/target")
        local = await a.spawn(Echo, name="local")
        seen: asyncio.Queue[Any] = asyncio.Queue()
        watcher = await a.spawn(lambda: WatchesBoth(remote, local, seen), name="watcher")
        assert await watcher.ask("stop remote") == "done"
        notice = await asyncio.wait_for(seen.get(), 5.0)
        assert notice == Terminated(remote, "stopped")
        await local.stop()
        assert await watcher.ask(Item(0)) is None  # handled after any notice for local
        assert seen.get_nowait() == Item(0)  # no Terminated for the unwatched local actor


async def test_a_probe_expects_the_termination_of_a_remote_actor(
    nats_server: NatsServer,
) -> None:
    async with two_nodes(nats_server.url) as (a, b):
        target = await b.spawn(Echo, name="target")
        remote = a.remote_ref("b", "/target")
        probe = await TestProbe.create(a)
        notice, _ = await asyncio.gather(
            probe.expect_terminated(remote, timeout=5.0), target.stop()
        )
        assert notice.ref == remote
        assert notice.reason == "stopped"


async def test_a_path_ref_is_refused_where_one_actor_is_needed() -> None:
    async with ActorSystem("local") as system:
        await system.spawn(Echo, name="target")
        path_ref = PathRef(system, "/target")
        caller = await system.spawn(Calls, name="caller")
        hint = "it names a path, not one actor: pass its current() ActorRef"
        calls: dict[str, Callable[[Calls], Awaitable[None] | None]] = {
            "watch": lambda actor: actor.context.watch(path_ref),  # type: ignore[arg-type]
            "unwatch": lambda actor: actor.context.unwatch(path_ref),  # type: ignore[arg-type]
            "stop_child": lambda actor: actor.context.stop_child(path_ref),  # type: ignore[arg-type]
            "halt_child": lambda actor: actor.context.halt_child(path_ref),  # type: ignore[arg-type]
        }
        for name, call in calls.items():
            error = await _raised(caller, call)
            assert isinstance(error, TypeError)
            assert f"{name}() needs an ActorRef; got <PathRef /target> ({hint})" in str(error)
        with pytest.raises(TypeError, match="PathRef /target"):
            await system.subscribe(path_ref, "orders.>")  # type: ignore[arg-type]
        probe = await TestProbe.create(system)
        with pytest.raises(TypeError, match=r"expect_terminated\(\) needs an ActorRef"):
            await probe.expect_terminated(path_ref)  # type: ignore[arg-type]
        # What it resolves to now is an ActorRef, and that one can be watched.
        current = path_ref.current()
        assert current is not None
        notice, _ = await asyncio.gather(probe.expect_terminated(current), current.stop())
        assert notice.ref is current
