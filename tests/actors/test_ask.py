"""Request/reply (semantics 3)."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import pytest

from actors import (
    Actor,
    ActorError,
    ActorFailed,
    ActorStopped,
    ActorSystem,
    AskTimeout,
)

from ._helpers import Gate, Recorder


class Echo(Actor):
    async def receive(self, message: Any) -> Any:
        return ("echo", message)


class Slow(Actor):
    """Answers after `delay` seconds of (virtual) time."""

    def __init__(self, delay: float) -> None:
        self.delay = delay

    async def receive(self, message: Any) -> Any:
        await asyncio.sleep(self.delay)
        return message


class SelfAsker(Actor):
    async def receive(self, message: Any) -> Any:
        try:
            await self.context.ref.ask("again", timeout=None)
        except ActorError as error:
            return f"refused: {error.reason}"
        return "asked"


async def test_the_reply_is_what_receive_returned(actor_system: ActorSystem) -> None:
    ref = await actor_system.spawn(Echo)
    assert await ref.ask(7) == ("echo", 7)


async def test_a_plain_def_receive_answers_too(actor_system: ActorSystem) -> None:
    class Sync(Actor):
        def receive(self, message: Any) -> Any:
            return message * 2

    ref = await actor_system.spawn(Sync)
    assert await ref.ask(21) == 42


async def test_a_raising_handler_answers_at_once_with_actor_failed_and_the_cause(
    actor_system: ActorSystem, virtual_time: Any
) -> None:
    ref = await actor_system.spawn(Recorder)
    began = virtual_time.time()
    with pytest.raises(ActorFailed) as raised:
        await ref.ask("boom", timeout=30.0)
    assert virtual_time.time() == began  # no wait for the timeout
    assert isinstance(raised.value.__cause__, RuntimeError)
    assert str(raised.value.__cause__) == "boom"
    assert raised.value.path == ref.path
    assert raised.value.message_type == "str"


async def test_ask_times_out_with_ask_timeout_which_is_a_timeout_error(
    actor_system: ActorSystem, virtual_time: Any
) -> None:
    ref = await actor_system.spawn(functools.partial(Slow, 10.0))
    began = virtual_time.time()
    with pytest.raises(AskTimeout) as raised:
        await ref.ask("x", timeout=2.5)
    assert isinstance(raised.value, TimeoutError)
    assert virtual_time.time() - began == pytest.approx(2.5)
    await actor_system.wait_idle()


async def test_a_late_reply_is_discarded_and_counted(
    actor_system: ActorSystem, virtual_time: Any
) -> None:
    ref = await actor_system.spawn(functools.partial(Slow, 10.0))
    with pytest.raises(AskTimeout):
        await ref.ask("late", timeout=1.0)
    assert await ref.ask("next", timeout=60.0) == "next"
    cell = ref._cell
    assert cell.late_replies == 1
    assert cell.ask_timeouts == 1
    assert ref.statistics().processed == 2


async def test_asks_pending_on_an_actor_that_stops_fail_at_once_with_actor_stopped(
    actor_system: ActorSystem, virtual_time: Any
) -> None:
    gate = asyncio.Event()
    ref = await actor_system.spawn(functools.partial(Gate, gate, []))
    ref.tell_nowait("wait")
    await asyncio.sleep(0)
    pending = [asyncio.create_task(ref.ask(i, timeout=60.0)) for i in range(3)]
    await asyncio.sleep(0)
    began = virtual_time.time()
    ref.kill()
    for task in pending:
        with pytest.raises(ActorStopped):
            await task
    assert virtual_time.time() == began


async def test_ask_to_a_stopped_actor_raises_actor_stopped(actor_system: ActorSystem) -> None:
    ref = await actor_system.spawn(Echo)
    await ref.stop()
    with pytest.raises(ActorStopped):
        await ref.ask(1)


async def test_ask_to_yourself_from_your_own_handler_raises_at_once(
    actor_system: ActorSystem, virtual_time: Any
) -> None:
    ref = await actor_system.spawn(SelfAsker)
    began = virtual_time.time()
    answer = await ref.ask("go", timeout=30.0)
    assert answer.startswith("refused: an actor cannot ask itself")
    assert virtual_time.time() == began


async def test_cancelling_the_asker_propagates_cancelled_error_unchanged(
    actor_system: ActorSystem,
) -> None:
    gate = asyncio.Event()
    ref = await actor_system.spawn(functools.partial(Gate, gate, []))
    asker = asyncio.create_task(ref.ask("wait", timeout=None))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    asker.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asker
    assert asker.cancelled()
    gate.set()
    await actor_system.wait_idle()
    assert ref._cell.late_replies == 1  # the reply came, and went nowhere


async def test_asks_from_many_callers_each_get_their_own_reply(
    actor_system: ActorSystem,
) -> None:
    ref = await actor_system.spawn(Echo)
    replies = await asyncio.gather(*(ref.ask(i) for i in range(200)))
    assert replies == [("echo", i) for i in range(200)]


@pytest.mark.parametrize("timeout", [0, -1.0])
async def test_a_non_positive_ask_timeout_is_refused(
    actor_system: ActorSystem, timeout: float
) -> None:
    ref = await actor_system.spawn(Echo)
    with pytest.raises(ValueError, match="timeout"):
        await ref.ask(1, timeout=timeout)
