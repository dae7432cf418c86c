"""How-to "Testing your actors": probes, virtual time and the pytest fixtures.

These are ordinary pytest tests; the plugin that ships with actor-supervision runs them.
"""

# --8<-- [start:imports]
from __future__ import annotations

import asyncio
from typing import Any

from actors import Actor, ActorRef, ActorSystem
from actors.testing import TestProbe, VirtualTimeLoop

# --8<-- [end:imports]


# --8<-- [start:actors]
class Reminder(Actor):
    """Tells `target` "time's up" `delay` seconds after it is asked to remind."""

    def __init__(self, target: ActorRef, delay: float) -> None:
        self.target = target
        self.delay = delay

    async def receive(self, message: Any) -> Any:
        if message == "remind me":
            self.context.schedule_once(self.delay, "fire")
        elif message == "fire":
            await self.target.tell("time's up")


# --8<-- [end:actors]


# --8<-- [start:probe]
async def test_the_reminder_tells_the_probe(actor_system: ActorSystem) -> None:
    probe = await TestProbe.create(actor_system)
    reminder = await actor_system.spawn(lambda: Reminder(probe.ref, delay=0.01))
    await reminder.tell("remind me")
    assert await probe.expect("time's up") == "time's up"
    assert probe.last_sender == reminder


# --8<-- [end:probe]


# --8<-- [start:virtual]
async def test_an_hour_long_reminder_takes_no_real_time(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop
) -> None:
    probe = await TestProbe.create(actor_system)
    reminder = await actor_system.spawn(lambda: Reminder(probe.ref, delay=3600.0))
    await reminder.tell("remind me")
    await probe.expect_no_message(3599.0)  # nothing early...
    await probe.expect("time's up", timeout=2.0)  # ...and right on time
    assert virtual_time.time() == 3600.0


# --8<-- [end:virtual]


# --8<-- [start:idle]
async def test_wait_idle_waits_for_all_the_work(actor_system: ActorSystem) -> None:
    seen: list[int] = []

    class Collector(Actor):
        async def receive(self, message: Any) -> Any:
            await asyncio.sleep(0)
            seen.append(message)

    collector = await actor_system.spawn(Collector)
    for n in range(100):
        await collector.tell(n)
    await actor_system.wait_idle()  # exact: no polling, no sleeps
    assert seen == list(range(100))


# --8<-- [end:idle]


# --8<-- [start:terminated]
async def test_the_probe_sees_an_actor_stop(actor_system: ActorSystem) -> None:
    probe = await TestProbe.create(actor_system)
    reminder = await actor_system.spawn(lambda: Reminder(probe.ref, delay=1.0))
    stopping = asyncio.create_task(reminder.stop())
    await probe.expect_terminated(reminder)
    await stopping


# --8<-- [end:terminated]
