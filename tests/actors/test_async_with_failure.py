"""What the body of ``async with ActorSystem()`` sees when the system fails: task-group
semantics (the body is cancelled, the failure is raised from the ``async with``)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from actors import Actor, ActorSystem
from supervision import ChildSpec, OneForOne, RestartIntensityExceeded, Supervisor


class Worker(Actor):
    def receive(self, message: Any) -> Any:
        raise RuntimeError(f"broke on {message!r}")


class Fragile(Supervisor):
    strategy = OneForOne(max_restarts=0, within=60.0)
    children = (ChildSpec("worker", Worker),)


async def _break(system: ActorSystem) -> None:
    await system.spawn(Fragile, name="root")
    worker = system.lookup("/root/worker")
    assert worker is not None
    await worker.tell("crash")


async def test_the_body_is_cancelled_and_the_failure_raised_from_async_with() -> None:
    went_on = False
    systems: list[ActorSystem] = []

    async def job() -> None:
        nonlocal went_on
        async with ActorSystem("fails") as system:
            systems.append(system)
            await _break(system)
            await asyncio.Event().wait()  # would wait forever without the cancellation
            went_on = True

    with pytest.raises(RestartIntensityExceeded) as raised:
        await job()
    assert not went_on
    assert isinstance(raised.value.chain[-1], RuntimeError)  # the whole cause chain
    assert systems[0].is_closed
    task = asyncio.current_task()
    assert task is not None
    assert task.cancelling() == 0  # the cancellation was ours, and it is undone


async def test_a_body_that_swallows_the_cancellation_still_gets_the_failure() -> None:
    seen: list[str] = []

    async def job() -> None:
        async with ActorSystem("fails") as system:
            await _break(system)
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                seen.append("cancelled")
            seen.append("went on")

    with pytest.raises(RestartIntensityExceeded):
        await job()
    assert seen == ["cancelled", "went on"]


async def test_a_cancellation_from_outside_still_propagates_as_cancelled_error() -> None:
    entered = asyncio.Event()

    async def body() -> None:
        async with ActorSystem("outer") as system:
            await system.spawn(Worker, name="worker")
            entered.set()
            await asyncio.Event().wait()

    task = asyncio.ensure_future(body())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_an_error_of_the_body_propagates_unchanged() -> None:
    with pytest.raises(KeyError, match="mine"):
        async with ActorSystem("mine"):
            raise KeyError("mine")


async def test_a_system_that_closes_without_failing_does_not_cancel_the_body() -> None:
    async with ActorSystem("clean") as system:
        await system.spawn(Worker, name="worker")
        await system.shutdown()
        await asyncio.sleep(0)  # still running: no cancellation arrives
        assert system.is_closed
