"""handler_timeout: a handler still running after it fails with HandlerTimeout; a blocking
handler's thread that overruns is reported and counted as stuck until it returns."""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from typing import Any

import pytest
from structlog.testing import capture_logs

from actors import (
    Actor,
    ActorFailed,
    ActorSystem,
    ChildFailure,
    HandlerTimeout,
    Retry,
)
from actors.testing import VirtualTimeLoop

from ._helpers import Recorder


class Slow(Actor):
    """Sleeps the seconds it is asked with and answers them; ("raise", _) raises its own
    TimeoutError."""

    def __init__(self, journal: list[Any]) -> None:
        self.journal = journal

    async def receive(self, message: Any) -> Any:
        if isinstance(message, tuple):
            raise TimeoutError("the handler's own")
        try:
            await asyncio.sleep(message)
        except asyncio.CancelledError:
            self.journal.append(("cancelled", message))
            raise
        self.journal.append(("done", message))
        return message


class Watcher(Actor):
    """Spawns `factory` as its child "slow" with the given options and resumes it after each
    failure, keeping the failures."""

    def __init__(self, factory: Any, **options: Any) -> None:
        self.factory = factory
        self.options = options
        self.failures: list[ChildFailure] = []

    async def on_start(self) -> None:
        await self.context.spawn(self.factory, name="slow", **self.options)

    async def receive(self, message: Any) -> Any:
        return [type(failure.error).__name__ for failure in self.failures]

    async def on_child_failed(self, failure: ChildFailure) -> None:
        self.failures.append(failure)
        self.context.resume_child(failure.child)


@pytest.mark.actors(virtual_time=True)
async def test_an_overrunning_handler_is_cancelled_and_fails_with_handler_timeout(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop
) -> None:
    journal: list[Any] = []
    parent = await actor_system.spawn(
        functools.partial(Watcher, functools.partial(Slow, journal), handler_timeout=1.0)
    )
    child = actor_system.lookup(f"{parent.path}/slow")
    assert child is not None
    start = virtual_time.time()
    with pytest.raises(ActorFailed) as failed:
        await child.ask(10.0, timeout=30.0)
    assert virtual_time.time() - start == 1.0
    error = failed.value.__cause__
    assert isinstance(error, HandlerTimeout)
    assert isinstance(error, TimeoutError)
    assert (error.message_type, error.timeout, error.elapsed) == ("float", 1.0, 1.0)
    assert error.path == child.path
    assert journal == [("cancelled", 10.0)]
    # The supervisor decided (resumed it); a handler within its time runs as usual.
    assert await parent.ask("failures") == ["HandlerTimeout"]
    assert await child.ask(0.5) == 0.5
    [letter] = actor_system.dead_letters.recent
    assert (letter.reason, type(letter.error)) == ("failed", HandlerTimeout)


@pytest.mark.actors(virtual_time=True)
async def test_each_handler_gets_its_whole_limit_after_calls_that_ended_in_time(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop
) -> None:
    # One timer watches the incarnation: armed at the first call's limit, it must re-arm for
    # the call running when it fires, so no call is cut short by an earlier call's limit.
    journal: list[Any] = []
    parent = await actor_system.spawn(
        functools.partial(Watcher, functools.partial(Slow, journal), handler_timeout=1.0)
    )
    child = actor_system.lookup(f"{parent.path}/slow")
    assert child is not None
    for _ in range(5):
        assert await child.ask(0.3) == 0.3  # 1.5 s in all, each within its limit
    assert await child.ask(0.9) == 0.9  # past the first call's limit, within its own
    start = virtual_time.time()
    with pytest.raises(ActorFailed) as failed:
        await child.ask(10.0, timeout=30.0)
    assert virtual_time.time() - start == pytest.approx(1.0)
    assert isinstance(failed.value.__cause__, HandlerTimeout)
    assert journal[-1] == ("cancelled", 10.0)
    assert await child.ask(0.5) == 0.5  # resumed: the next call has its own limit again


@pytest.mark.actors(virtual_time=True)
async def test_a_handler_that_catches_the_cancellation_and_returns_answers_normally(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop
) -> None:
    class Stubborn(Actor):
        async def receive(self, message: Any) -> Any:
            try:
                await asyncio.sleep(message)
            except asyncio.CancelledError:
                return "caught"
            return "slept"

    parent = await actor_system.spawn(functools.partial(Watcher, Stubborn, handler_timeout=1.0))
    child = actor_system.lookup(f"{parent.path}/slow")
    assert child is not None
    assert await child.ask(5.0, timeout=30.0) == "caught"
    # The task's cancellation was withdrawn: later awaits in later handlers run as usual.
    assert await child.ask(0.5) == "slept"
    assert await parent.ask("failures") == []


@pytest.mark.actors(virtual_time=True)
async def test_the_handlers_own_timeout_error_is_not_a_handler_timeout(
    actor_system: ActorSystem,
) -> None:
    parent = await actor_system.spawn(
        functools.partial(Watcher, functools.partial(Slow, []), handler_timeout=1.0)
    )
    child = actor_system.lookup(f"{parent.path}/slow")
    assert child is not None
    with pytest.raises(ActorFailed) as failed:
        await child.ask(("raise",))
    assert type(failed.value.__cause__) is TimeoutError


@pytest.mark.actors(virtual_time=True)
async def test_a_timed_out_message_is_retried_when_the_retry_covers_handler_timeout(
    actor_system: ActorSystem,
) -> None:
    attempts: list[int] = []

    class SlowFirst(Actor):
        async def receive(self, message: Any) -> Any:
            attempts.append(self.context.attempt)
            if self.context.attempt == 1:
                await asyncio.sleep(10)
            return "ok"

    parent = await actor_system.spawn(
        functools.partial(
            Watcher, SlowFirst, handler_timeout=1.0, retry=Retry(2, on=(HandlerTimeout,))
        )
    )
    child = actor_system.lookup(f"{parent.path}/slow")
    assert child is not None
    assert await child.ask("go", timeout=30.0) == "ok"
    assert attempts == [1, 2]


async def test_spawn_rejects_a_handler_timeout_that_is_not_positive(
    actor_system: ActorSystem,
) -> None:
    with pytest.raises(ValueError, match="handler_timeout"):
        await actor_system.spawn(Recorder, handler_timeout=0)
    with pytest.raises(ValueError, match="handler_timeout"):
        await actor_system.spawn(Recorder, handler_timeout=float("inf"))


class Stuck(Actor):
    """A blocking handler that waits for `release` on "hold" (in its thread)."""

    blocking = True

    def __init__(self, release: threading.Event) -> None:
        self.release = release

    def receive(self, message: Any) -> Any:
        if message == "hold":
            self.release.wait(timeout=10)
        return message


@pytest.mark.real_time
async def test_an_overrunning_blocking_handler_is_reported_and_its_thread_counted_stuck() -> None:
    release = threading.Event()
    async with ActorSystem("stuck", blocking_threads=1) as system:
        parent = await system.spawn(
            functools.partial(Watcher, functools.partial(Stuck, release), handler_timeout=0.05)
        )
        child = system.lookup(f"{parent.path}/slow")
        assert child is not None
        try:
            with capture_logs() as logs:
                with pytest.raises(ActorFailed) as failed:
                    await child.ask("hold", timeout=5.0)
                assert isinstance(failed.value.__cause__, HandlerTimeout)
                health = system.health()
                assert (health.status, health.stuck_threads) == ("degraded", 1)
                # The only thread is stuck: the next blocking handler waits for it, which
                # the pool reports as saturation instead of queueing silently.
                answer = asyncio.create_task(child.ask("next", timeout=5.0))
                await _loop_turns_until(lambda: system.health().threads_saturated)
            events = [entry["event"] for entry in logs]
            assert "actor.handler_overrun" in events
            assert "blocking.saturated" in events
            scrape = (await asyncio.to_thread(_scrape, system)).decode()
            assert "actors_blocking_threads_stuck 1.0" in scrape
            assert "actors_blocking_saturations_total 1.0" in scrape
        finally:
            release.set()
        # Once the stuck thread returns, its late result is discarded and the next runs.
        assert await answer == "next"
        health = system.health()
        assert (health.stuck_threads, health.threads_saturated) == (0, False)
        assert await parent.ask("failures") == ["HandlerTimeout"]


async def _loop_turns_until(condition: Callable[[], bool]) -> None:
    """Let the loop run callbacks (no time passes) until ``condition`` holds; bounded."""
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("the condition did not come true within 1000 loop turns")


def _scrape(system: ActorSystem) -> bytes:
    from prometheus_client import generate_latest

    return generate_latest(system.registry)
