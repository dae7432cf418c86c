"""Shutdown is bounded by its timeout and idempotent, even after a cancelled shutdown and
with actors that are already stopping without a limit (semantics: Lifecycle, shutdown)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from structlog.testing import capture_logs

from actors import Actor, ActorSystem
from actors.testing import VirtualTimeLoop


class SlowToStop(Actor):
    """An actor whose on_stop takes 30 s; ``stopping`` is set when on_stop begins."""

    def __init__(self, stopping: asyncio.Event) -> None:
        self.stopping = stopping

    def receive(self, message: Any) -> Any:
        return message

    async def on_stop(self) -> None:
        self.stopping.set()
        await asyncio.sleep(30)


async def test_a_cancelled_shutdown_does_not_make_later_shutdowns_hang(
    virtual_time: VirtualTimeLoop,
) -> None:
    system = ActorSystem("cancelled")
    stopping = asyncio.Event()
    ref = await system.spawn(lambda: SlowToStop(stopping), shutdown=None)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(system.shutdown(timeout=10), 0.2)
    assert not system.is_closed
    started = virtual_time.time()
    # The second call finishes the job within its own timeout (with a margin for the test).
    await asyncio.wait_for(system.shutdown(timeout=1), 5)
    assert virtual_time.time() - started <= 1.5
    assert system.is_closed
    assert not ref.is_alive
    # And a third call is a no-op that returns at once.
    again = virtual_time.time()
    await system.shutdown(timeout=1)
    assert virtual_time.time() == again


async def test_shutdown_is_bounded_when_an_actor_is_already_stopping_without_limit(
    virtual_time: VirtualTimeLoop,
) -> None:
    system = ActorSystem("unbounded-stop")
    stopping = asyncio.Event()
    ref = await system.spawn(lambda: SlowToStop(stopping))
    stop_call = asyncio.create_task(ref.stop(timeout=None))
    await stopping.wait()
    started = virtual_time.time()
    with capture_logs() as logs:
        await asyncio.wait_for(system.shutdown(timeout=2), 10)
    assert virtual_time.time() - started <= 2.5
    assert system.is_closed
    assert not ref.is_alive
    # The stop that was in flight returns too, and what was killed is reported.
    await asyncio.wait_for(stop_call, 1)
    events = [entry for entry in logs if entry["event"] == "actor.stop_timeout"]
    assert [entry["actor"] for entry in events] == [ref.path]


async def test_concurrent_shutdowns_each_return_within_their_own_timeout(
    virtual_time: VirtualTimeLoop,
) -> None:
    system = ActorSystem("concurrent")
    stopping = asyncio.Event()
    await system.spawn(lambda: SlowToStop(stopping), shutdown=None)
    started = virtual_time.time()
    slow = asyncio.create_task(system.shutdown(timeout=20))
    await stopping.wait()
    await asyncio.wait_for(system.shutdown(timeout=1), 5)
    assert virtual_time.time() - started <= 1.5
    assert system.is_closed
    await asyncio.wait_for(slow, 1)
