"""Deadlines that follow a request (gRPC's deadline propagation): an ask's deadline travels
with its message, what its handler sends inherits it, and a message whose deadline passed in
the mailbox is dead-lettered (``expired``) without running its handler."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import pytest

from actors import Actor, ActorRef, ActorSystem, AskTimeout
from actors.testing import VirtualTimeLoop

from ._helpers import Gate

pytestmark = pytest.mark.actors(virtual_time=True)


class Echo(Actor):
    """Answers ("sleep", s) after s seconds; answers every message with what it sees of its
    deadline: (deadline, time left), and records them."""

    def __init__(self, seen: list[tuple[Any, float | None, float | None]]) -> None:
        self.seen = seen

    async def receive(self, message: Any) -> Any:
        if isinstance(message, tuple) and message[0] == "sleep":
            await asyncio.sleep(message[1])
        context = self.context
        self.seen.append((message, context.deadline, context.time_left()))
        return context.deadline, context.time_left()


class Front(Actor):
    """Sleeps `pause`, then asks `back` with `timeout` (or tells it) and answers the reply."""

    def __init__(self, back: ActorRef, pause: float, timeout: float | None) -> None:
        self.back = back
        self.pause = pause
        self.timeout = timeout

    async def receive(self, message: Any) -> Any:
        await asyncio.sleep(self.pause)
        if message == "tell":
            await self.back.tell("told")
            return None
        return await self.back.ask(message, timeout=self.timeout)


async def test_the_handler_sees_its_asks_deadline_and_the_time_left(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop
) -> None:
    seen: list[tuple[Any, float | None, float | None]] = []
    echo = await actor_system.spawn(functools.partial(Echo, seen))
    start = virtual_time.time()
    assert await echo.ask(("sleep", 2.0), timeout=5.0) == (start + 5.0, 3.0)
    await echo.tell("no deadline")
    await actor_system.wait_idle()
    assert seen[-1] == ("no deadline", None, None)
    assert echo._cell.context.deadline is None  # between messages


async def test_a_nested_ask_waits_at_most_what_its_caller_has_left(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop
) -> None:
    seen: list[tuple[Any, float | None, float | None]] = []
    back = await actor_system.spawn(functools.partial(Echo, seen))
    front = await actor_system.spawn(functools.partial(Front, back, 2.0, 10.0))
    start = virtual_time.time()
    # The back end is asked with 10 s, but the front's caller gave 5 s: 3 s are left.
    deadline, left = await front.ask("work", timeout=5.0)
    assert (deadline, left) == (start + 5.0, 3.0)
    # A nested ask that cannot finish in time times out when its caller's deadline passes.
    second = virtual_time.time()
    with pytest.raises(AskTimeout):
        await front.ask(("sleep", 60.0), timeout=5.0)
    assert virtual_time.time() - second == 5.0


async def test_tells_sent_from_the_handler_inherit_the_deadline(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop
) -> None:
    seen: list[tuple[Any, float | None, float | None]] = []
    back = await actor_system.spawn(functools.partial(Echo, seen))
    front = await actor_system.spawn(functools.partial(Front, back, 1.0, None))
    start = virtual_time.time()
    await front.ask("tell", timeout=5.0)
    await actor_system.wait_idle()
    assert seen == [("told", start + 5.0, 4.0)]


async def test_a_message_whose_deadline_passed_in_the_mailbox_is_expired_unhandled(
    actor_system: ActorSystem,
) -> None:
    gate = asyncio.Event()
    handled: list[Any] = []
    ref = await actor_system.spawn(functools.partial(Gate, gate, handled))
    ref.tell_nowait("wait")
    asking = asyncio.create_task(ref.ask("late", timeout=1.0))
    await asyncio.sleep(2.0)
    with pytest.raises(AskTimeout):
        await asking
    gate.set()
    await actor_system.wait_idle()
    assert handled == ["wait"]
    [letter] = actor_system.dead_letters.recent
    assert (letter.reason, letter.message) == ("expired", "late")
    stats = ref.statistics()
    assert (stats.accepted, stats.processed, stats.dead_lettered) == (2, 1, 1)
    assert actor_system.statistics().ask_timeouts == 1


async def test_an_ask_made_after_the_inherited_deadline_passed_fails_at_once_unsent(
    actor_system: ActorSystem,
) -> None:
    seen: list[tuple[Any, float | None, float | None]] = []
    back = await actor_system.spawn(functools.partial(Echo, seen))
    front = await actor_system.spawn(functools.partial(Front, back, 3.0, 10.0))
    front_asks = asyncio.create_task(front.ask("work", timeout=2.0))
    with pytest.raises(AskTimeout):
        await front_asks
    await asyncio.sleep(2.0)  # the front's handler wakes past its deadline and asks
    await actor_system.wait_idle()
    assert back.statistics().accepted == 0
    assert seen == []
    # The caller's timeout and the nested one, each counted once where it was received.
    assert actor_system.statistics().ask_timeouts == 2
