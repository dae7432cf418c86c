"""Ask deadlines cost memory in proportion to the asks in flight, not to the asks made
(semantics 3: a timeout per ask, without a loop timer per ask)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from actors import Actor, ActorSystem, AskTimeout

from ._helpers import Gate

ASKS = 5_000


class Echo(Actor):
    async def receive(self, message: Any) -> Any:
        return message


def _pending_entries(system: ActorSystem) -> int:
    # The system's deadline queues (private): what each pending ask timeout keeps alive.
    deadlines = system._deadlines
    assert deadlines is not None
    return sum(len(queue) for queue in deadlines._queues.values())


async def test_answered_asks_leave_no_deadline_entries_behind(
    actor_system: ActorSystem, virtual_time: Any
) -> None:
    ref = await actor_system.spawn(Echo)
    most = 0
    for i in range(ASKS):
        assert await ref.ask(i, timeout=60.0) == i
        most = max(most, _pending_entries(actor_system))
    # One answered entry waits in front until the next ask (or the timer) drops it.
    assert most <= 2


async def test_a_stuck_ask_does_not_make_the_answered_ones_pile_up(
    actor_system: ActorSystem, virtual_time: Any
) -> None:
    gate = asyncio.Event()
    stuck = await actor_system.spawn(lambda: Gate(gate, []))
    echo = await actor_system.spawn(Echo)
    began = virtual_time.time()
    waiting = asyncio.ensure_future(stuck.ask("wait", timeout=60.0))
    await asyncio.sleep(0)  # the stuck ask's entry comes first in its queue
    most = 0
    for i in range(ASKS):
        assert await echo.ask(i, timeout=60.0) == i
        most = max(most, _pending_entries(actor_system))
    # Behind the unanswered ask, the answered ones are dropped in bulk once the queue has
    # doubled (at the latest at 1,024 entries): bounded, however many asks were made.
    assert most <= 1024
    with pytest.raises(AskTimeout):
        await waiting
    assert virtual_time.time() - began == pytest.approx(60.0)
    gate.set()
