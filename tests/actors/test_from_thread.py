"""system.from_thread: tell, ask, publish and run from real threads, with the async calls'
typed errors and timeouts."""

from __future__ import annotations

import asyncio
import functools
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from actors import (
    Actor,
    ActorFailed,
    ActorStopped,
    ActorSystem,
    AskTimeout,
    MailboxFull,
    Overflow,
    correlation_scope,
)

pytestmark = pytest.mark.real_time  # real threads block on the loop's answers


class Echo(Actor):
    def __init__(self, seen: list[Any] | None = None) -> None:
        self.seen = [] if seen is None else seen

    async def receive(self, message: Any) -> Any:
        if message == "boom":
            raise ValueError("boom")
        self.seen.append((message, self.context.correlation_id, threading.current_thread()))
        return message


class Stuck(Actor):
    def __init__(self, release: asyncio.Event, handling: asyncio.Event | None = None) -> None:
        self.release = release
        self.handling = handling

    async def receive(self, message: Any) -> Any:
        if self.handling is not None:
            self.handling.set()
        await self.release.wait()
        return message


async def test_threads_tell_and_ask_and_get_every_answer(actor_system: ActorSystem) -> None:
    seen: list[Any] = []
    ref = await actor_system.spawn(functools.partial(Echo, seen), name="echo")
    portal = actor_system.from_thread

    def client(number: int) -> list[Any]:
        portal.tell(ref, ("told", number))
        return [portal.ask(ref, (number, i), timeout=10.0) for i in range(25)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [asyncio.wrap_future(pool.submit(client, n)) for n in range(4)]
        answers = await asyncio.wait_for(asyncio.gather(*futures), timeout=60.0)
    assert answers == [[(n, i) for i in range(25)] for n in range(4)]
    assert len(seen) == 4 * 26
    loop_thread = threading.current_thread()
    assert all(thread is loop_thread for _, _, thread in seen)  # handled on the loop


async def test_the_errors_are_the_async_calls_typed_errors(actor_system: ActorSystem) -> None:
    release = asyncio.Event()
    handling = asyncio.Event()
    echo = await actor_system.spawn(Echo, name="echo")
    stuck = await actor_system.spawn(functools.partial(Stuck, release), name="stuck")
    full = await actor_system.spawn(
        functools.partial(Stuck, release, handling),
        name="full",
        capacity=1,
        overflow=Overflow.REJECT,
    )
    portal = actor_system.from_thread

    def failing() -> None:
        portal.ask(echo, "boom")

    with pytest.raises(ActorFailed) as failed:
        await asyncio.to_thread(failing)
    assert isinstance(failed.value.__cause__, ValueError)

    with pytest.raises(AskTimeout):
        await asyncio.to_thread(portal.ask, stuck, "x", timeout=0.05)

    full.tell_nowait("handled")  # taken by the handler, which waits
    await handling.wait()
    full.tell_nowait("queued")  # fills the one slot
    with pytest.raises(MailboxFull) as refused:
        await asyncio.to_thread(portal.tell, full, "refused")
    assert refused.value.message == "refused"

    await echo.stop()
    with pytest.raises(ActorStopped):
        await asyncio.to_thread(portal.ask, echo, "late")
    release.set()


async def test_a_correlation_scope_of_the_thread_applies(actor_system: ActorSystem) -> None:
    seen: list[Any] = []
    ref = await actor_system.spawn(functools.partial(Echo, seen), name="echo")
    await actor_system.subscribe(ref, "jobs.>")

    def job() -> None:
        with correlation_scope("job-7"):
            actor_system.from_thread.tell(ref, "told")
            actor_system.from_thread.publish("jobs.done", "published")

    await asyncio.to_thread(job)
    await actor_system.wait_idle()
    assert [(message, correlation) for message, correlation, _ in seen] == [
        ("told", "job-7"),
        ("published", "job-7"),
    ]


async def test_run_calls_any_coroutine_function_on_the_loop(actor_system: ActorSystem) -> None:
    await actor_system.spawn(Echo, name="first")
    ref = await asyncio.to_thread(actor_system.from_thread.run, actor_system.spawn, Echo, name="w")
    assert ref.path == "/w"
    with pytest.raises(ValueError, match="already exists"):
        await asyncio.to_thread(actor_system.from_thread.run, actor_system.spawn, Echo, name="w")


async def test_calling_from_the_loops_own_thread_raises_instead_of_deadlocking(
    actor_system: ActorSystem,
) -> None:
    ref = await actor_system.spawn(Echo, name="echo")
    with pytest.raises(RuntimeError, match="wait for itself"):
        actor_system.from_thread.ask(ref, "x")
    with pytest.raises(RuntimeError, match="wait for itself"):
        actor_system.from_thread.tell(ref, "x")


def test_a_system_without_a_loop_or_with_a_closed_one_says_so() -> None:
    system = ActorSystem("threads")
    with pytest.raises(RuntimeError, match="no event loop yet"):
        system.from_thread.publish("a.b", 1)

    async def start() -> Any:
        return await system.spawn(Echo, name="echo")

    loop = asyncio.new_event_loop()
    try:
        ref = loop.run_until_complete(start())
        loop.run_until_complete(system.shutdown())
    finally:
        loop.close()
    with pytest.raises(ActorStopped, match="closed"):
        system.from_thread.ask(ref, "x")
    assert repr(system.from_thread) == "<FromThread <ActorSystem 'threads' actors=0>>"
