"""Death watch, timers (semantics 8) and blocking actors (semantics 9)."""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from typing import Any

import pytest

from actors import Actor, ActorRef, ActorSystem, Terminated

from ._helpers import Recorder


class Watcher(Actor):
    def __init__(self, log: list[Any]) -> None:
        self.log = log

    def receive(self, message: Any) -> Any:
        match message:
            case ("watch", ActorRef() as ref):
                self.context.watch(ref)
            case ("unwatch", ActorRef() as ref):
                self.context.unwatch(ref)
            case Terminated(ref=ref):
                self.log.append(("terminated", ref))
            case _:
                self.log.append(message)


async def test_a_watched_actor_ending_arrives_as_terminated_exactly_once(
    actor_system: ActorSystem,
) -> None:
    log: list[Any] = []
    watcher = await actor_system.spawn(functools.partial(Watcher, log))
    target = await actor_system.spawn(Recorder)
    await watcher.tell(("watch", target))
    await watcher.tell(("watch", target))
    await target.stop()
    await actor_system.wait_idle()
    assert log == [("terminated", target)]


async def test_terminated_is_served_before_queued_user_messages(
    actor_system: ActorSystem,
) -> None:
    log: list[Any] = []
    gate = asyncio.Event()

    class Busy(Watcher):
        async def receive(self, message: Any) -> Any:
            if message == "wait":
                await gate.wait()
                return None
            return super().receive(message)

    watcher = await actor_system.spawn(functools.partial(Busy, log))
    target = await actor_system.spawn(Recorder)
    await watcher.tell(("watch", target))
    await watcher.tell("wait")
    await watcher.tell("user 1")
    await watcher.tell("user 2")
    await target.stop()
    gate.set()
    await actor_system.wait_idle()
    assert log == [("terminated", target), "user 1", "user 2"]


async def test_watching_an_actor_that_already_stopped_delivers_terminated_at_once(
    actor_system: ActorSystem,
) -> None:
    log: list[Any] = []
    watcher = await actor_system.spawn(functools.partial(Watcher, log))
    target = await actor_system.spawn(Recorder)
    await target.stop()
    await watcher.tell(("watch", target))
    await actor_system.wait_idle()
    assert log == [("terminated", target)]


async def test_no_terminated_arrives_after_unwatch(actor_system: ActorSystem) -> None:
    log: list[Any] = []
    watcher = await actor_system.spawn(functools.partial(Watcher, log))
    target = await actor_system.spawn(Recorder)
    await watcher.tell(("watch", target))
    await watcher.tell(("unwatch", target))
    await target.stop()
    await watcher.tell("done")
    await actor_system.wait_idle()
    assert log == ["done"]
    stats = watcher.statistics()
    assert stats.accepted == stats.processed


async def test_a_restart_is_not_a_termination(actor_system: ActorSystem) -> None:
    from actors import ChildFailure

    class Restarts(Actor):
        async def on_start(self) -> None:
            await self.context.spawn(Recorder, name="kid")

        def receive(self, message: Any) -> Any:
            return None

        async def on_child_failed(self, failure: ChildFailure) -> None:
            await self.context.restart_child(failure.child)

    log: list[Any] = []
    await actor_system.spawn(Restarts, name="r")
    kid = actor_system.lookup("/r/kid")
    assert kid is not None
    watcher = await actor_system.spawn(functools.partial(Watcher, log))
    await watcher.tell(("watch", kid))
    await kid.tell("boom")
    assert await kid.ask("get") == []
    await actor_system.wait_idle()
    assert log == []


class Ticker(Actor):
    def __init__(self, times: list[float]) -> None:
        self.times = times

    async def on_start(self) -> None:
        self.context.schedule_every(1.0, "tick")

    async def receive(self, message: Any) -> Any:
        if message == "tick":
            self.times.append(asyncio.get_running_loop().time())
            await asyncio.sleep(0.3)  # slow handling must not delay later ticks
        elif message == "once":
            self.context.schedule_once(0.5, "late")
        elif message == "late":
            self.times.append(-asyncio.get_running_loop().time())


async def test_schedule_every_runs_at_a_fixed_rate_without_drift(
    actor_system: ActorSystem, virtual_time: Any
) -> None:
    times: list[float] = []
    ref = await actor_system.spawn(functools.partial(Ticker, times))
    await asyncio.sleep(10.5)
    await ref.stop()
    assert times == pytest.approx([float(n) for n in range(1, 11)])


async def test_schedule_once_delivers_once_after_the_delay(
    actor_system: ActorSystem, virtual_time: Any
) -> None:
    times: list[float] = []

    class Once(Ticker):
        async def on_start(self) -> None:
            pass

    ref = await actor_system.spawn(functools.partial(Once, times))
    await ref.tell("once")
    await asyncio.sleep(5.0)
    assert times == [-0.5]


async def test_timers_are_cancelled_on_stop_and_never_fire_into_a_dead_actor(
    actor_system: ActorSystem, virtual_time: Any
) -> None:
    times: list[float] = []
    ref = await actor_system.spawn(functools.partial(Ticker, times))
    await asyncio.sleep(2.5)
    await ref.stop()
    count = len(times)
    await asyncio.sleep(10.0)
    assert len(times) == count == 2
    assert actor_system.dead_letters.count == 0
    assert ref._cell.timers == set()


async def test_timers_are_cancelled_on_restart(
    actor_system: ActorSystem, virtual_time: Any
) -> None:
    from actors import ChildFailure

    started: list[float] = []

    class Crashy(Actor):
        async def on_start(self) -> None:
            started.append(asyncio.get_running_loop().time())
            self.context.schedule_once(1.0, "boom")

        def receive(self, message: Any) -> Any:
            raise RuntimeError(message)

    class Restarter(Actor):
        async def on_start(self) -> None:
            await self.context.spawn(Crashy, name="crashy")

        def receive(self, message: Any) -> Any:
            return None

        async def on_child_failed(self, failure: ChildFailure) -> None:
            if len(started) < 3:
                await self.context.restart_child(failure.child)
            else:
                self.context.stop_child(failure.child)

    await actor_system.spawn(Restarter, name="r")
    await asyncio.sleep(10.0)
    # Each incarnation got exactly its own timer: one failure a second, three incarnations.
    assert started == [0.0, 1.0, 2.0]
    assert actor_system.dead_letters.by_reason == {"failed": 3}


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda ctx: ctx.schedule_once(-1, "x"), "delay must be >= 0"),
        (lambda ctx: ctx.schedule_every(0, "x"), "interval must be > 0"),
        (lambda ctx: ctx.schedule_every(float("nan"), "x"), "finite"),
    ],
)
async def test_invalid_timer_delays_are_refused(
    actor_system: ActorSystem, call: Any, match: str
) -> None:
    class Scheduler(Actor):
        def receive(self, message: Any) -> Any:
            try:
                call(self.context)
            except ValueError as error:
                return str(error)
            return None

    ref = await actor_system.spawn(Scheduler)
    assert match in await ref.ask("go")


class BlockingWorker(Actor):
    blocking = True

    def __init__(self, started: threading.Event, release: threading.Event) -> None:
        self.started = started
        self.release = release

    def receive(self, message: Any) -> Any:
        self.started.set()
        self.release.wait(timeout=10)
        return threading.current_thread().name


@pytest.mark.real_time
async def test_a_blocking_actor_runs_in_the_pool_and_the_loop_keeps_serving(
    actor_system: ActorSystem,
) -> None:
    started, release = threading.Event(), threading.Event()
    worker = await actor_system.spawn(functools.partial(BlockingWorker, started, release))
    other = await actor_system.spawn(Recorder)
    pending = asyncio.create_task(worker.ask("work", timeout=None))
    await asyncio.get_running_loop().run_in_executor(None, started.wait, 10)
    # The worker is blocked in its thread; another actor still answers on the loop.
    assert await other.ask("ping") == "ping"
    release.set()
    thread_name = await pending
    assert thread_name.startswith("actors-")
    assert thread_name != threading.current_thread().name


async def test_a_blocking_actor_with_an_async_receive_fails_to_start(
    actor_system: ActorSystem,
) -> None:
    from actors import ActorStartError

    class Wrong(Actor):
        blocking = True

        async def receive(self, message: Any) -> Any:
            return None

    with pytest.raises(ActorStartError) as raised:
        await actor_system.spawn(Wrong)
    assert "must be a plain def" in str(raised.value.__cause__)


@pytest.mark.real_time
async def test_blocking_receive_sees_the_message_metadata(actor_system: ActorSystem) -> None:
    class Meta(Actor):
        blocking = True

        def receive(self, message: Any) -> Any:
            time.sleep(0.001)
            return self.context.correlation_id

    ref = await actor_system.spawn(Meta)
    assert await ref.ask("x", correlation_id="req-7") == "req-7"


class FirstNoticeThenTell(Actor):
    """Watches its target from on_start, so a Terminated is the first message it ever gets;
    handling it, it tells itself its first user message."""

    def __init__(self, target: ActorRef, done: asyncio.Event) -> None:
        self.target = target
        self.done = done

    async def on_start(self) -> None:
        self.context.watch(self.target)

    def receive(self, message: Any) -> Any:
        if isinstance(message, Terminated):
            self.context.ref.tell_nowait("first user message")
        elif message == "first user message":
            self.done.set()


async def test_the_first_user_message_sent_while_a_notice_is_handled_is_handled(
    actor_system: ActorSystem,
) -> None:
    # The user lane is created on its first message; the actor's task, which had seen the
    # lane empty before, must see the message rather than wait for a next one.
    done = asyncio.Event()
    target = await actor_system.spawn(Recorder)
    watcher = await actor_system.spawn(functools.partial(FirstNoticeThenTell, target, done))
    await target.stop()
    await asyncio.wait_for(done.wait(), 5.0)
    assert watcher.statistics().processed == 2
