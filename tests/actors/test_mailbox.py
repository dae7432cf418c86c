"""Bounded mailboxes and overflow policies (semantics 1 and 2)."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import pytest

from actors import Actor, ActorRef, ActorSystem, MailboxFull, Overflow

from ._helpers import Gate, Recorder


async def test_messages_from_one_sender_are_handled_in_order(actor_system: ActorSystem) -> None:
    ref = await actor_system.spawn(Recorder)
    for i in range(500):
        await ref.tell(i)
    assert await ref.ask("get") == list(range(500))


async def test_tell_nowait_on_a_full_block_mailbox_raises_with_the_message(
    actor_system: ActorSystem,
) -> None:
    gate = asyncio.Event()
    log: list[Any] = []
    ref = await actor_system.spawn(functools.partial(Gate, gate, log), capacity=2)
    ref.tell_nowait("wait")
    await asyncio.sleep(0)  # the actor takes "wait" and parks on the gate
    ref.tell_nowait(1)
    ref.tell_nowait(2)
    with pytest.raises(MailboxFull) as raised:
        ref.tell_nowait(3)
    assert raised.value.message == 3
    assert raised.value.path == ref.path
    gate.set()
    await actor_system.wait_idle()
    assert log == ["wait", 1, 2]
    assert actor_system.dead_letters.count == 0


async def test_tell_on_a_full_block_mailbox_waits_for_room(actor_system: ActorSystem) -> None:
    gate = asyncio.Event()
    log: list[Any] = []
    ref = await actor_system.spawn(functools.partial(Gate, gate, log), capacity=1)
    ref.tell_nowait("wait")
    await asyncio.sleep(0)
    ref.tell_nowait(1)
    sender = asyncio.create_task(ref.tell(2))
    await asyncio.sleep(0)
    assert not sender.done()
    assert ref.statistics().blocked_senders == 1
    gate.set()
    await sender
    await actor_system.wait_idle()
    assert log == ["wait", 1, 2]


async def test_tell_with_a_timeout_on_a_full_mailbox_raises_mailbox_full(
    actor_system: ActorSystem, virtual_time: Any
) -> None:
    gate = asyncio.Event()
    ref = await actor_system.spawn(functools.partial(Gate, gate, []), capacity=1)
    ref.tell_nowait("wait")
    await asyncio.sleep(0)
    ref.tell_nowait(1)
    began = virtual_time.time()
    with pytest.raises(MailboxFull) as raised:
        await ref.tell(2, timeout=3.0)
    assert virtual_time.time() - began == pytest.approx(3.0)
    assert raised.value.message == 2
    assert ref.statistics().blocked_senders == 0
    gate.set()


async def test_drop_newest_dead_letters_the_arriving_message(actor_system: ActorSystem) -> None:
    gate = asyncio.Event()
    log: list[Any] = []
    ref = await actor_system.spawn(
        functools.partial(Gate, gate, log), capacity=2, overflow=Overflow.DROP_NEWEST
    )
    ref.tell_nowait("wait")
    await asyncio.sleep(0)
    for i in range(5):
        await ref.tell(i)
    gate.set()
    await actor_system.wait_idle()
    assert log == ["wait", 0, 1]
    letters = actor_system.dead_letters.recent
    assert [letter.message for letter in letters] == [2, 3, 4]
    assert {letter.reason for letter in letters} == {"mailbox_full"}
    assert all(letter.recipient == ref for letter in letters)


async def test_drop_oldest_evicts_the_oldest_queued_message(actor_system: ActorSystem) -> None:
    gate = asyncio.Event()
    log: list[Any] = []
    ref = await actor_system.spawn(
        functools.partial(Gate, gate, log), capacity=2, overflow=Overflow.DROP_OLDEST
    )
    ref.tell_nowait("wait")
    await asyncio.sleep(0)
    for i in range(5):
        ref.tell_nowait(i)
    gate.set()
    await actor_system.wait_idle()
    assert log == ["wait", 3, 4]
    assert [d.message for d in actor_system.dead_letters.recent] == [0, 1, 2]
    assert actor_system.dead_letters.by_reason == {"mailbox_full": 3}
    stats = ref.statistics()
    assert stats.accepted == stats.processed + stats.dead_lettered


async def test_reject_raises_mailbox_full_from_tell_and_drops_nothing(
    actor_system: ActorSystem,
) -> None:
    gate = asyncio.Event()
    log: list[Any] = []
    ref = await actor_system.spawn(
        functools.partial(Gate, gate, log), capacity=1, overflow=Overflow.REJECT
    )
    ref.tell_nowait("wait")
    await asyncio.sleep(0)
    await ref.tell(1)
    with pytest.raises(MailboxFull) as raised:
        await ref.tell(2)
    assert raised.value.message == 2
    gate.set()
    await actor_system.wait_idle()
    assert log == ["wait", 1]
    assert actor_system.dead_letters.count == 0


async def test_an_ask_dropped_by_overflow_fails_at_once(actor_system: ActorSystem) -> None:
    gate = asyncio.Event()
    ref = await actor_system.spawn(
        functools.partial(Gate, gate, []), capacity=1, overflow=Overflow.DROP_NEWEST
    )
    ref.tell_nowait("wait")
    await asyncio.sleep(0)
    ref.tell_nowait(1)
    with pytest.raises(MailboxFull):
        await ref.ask(2, timeout=None)
    gate.set()


async def test_statistics_report_depth_capacity_and_high_water_mark(
    actor_system: ActorSystem,
) -> None:
    gate = asyncio.Event()
    ref = await actor_system.spawn(functools.partial(Gate, gate, []), capacity=10)
    ref.tell_nowait("wait")
    await asyncio.sleep(0)
    for i in range(4):
        ref.tell_nowait(i)
    stats = ref.statistics()
    assert (stats.depth, stats.capacity, stats.high_water_mark) == (4, 10, 4)
    gate.set()
    await actor_system.wait_idle()
    stats = ref.statistics()
    assert (stats.depth, stats.high_water_mark, stats.accepted, stats.processed) == (0, 4, 5, 5)


@pytest.mark.parametrize("capacity", [0, -1, 1.5, True])
async def test_an_invalid_capacity_is_refused_at_spawn(
    actor_system: ActorSystem, capacity: Any
) -> None:
    with pytest.raises(ValueError, match="capacity"):
        await actor_system.spawn(Recorder, capacity=capacity)
    assert actor_system.actors == ()


async def test_blocked_senders_are_served_in_arrival_order(actor_system: ActorSystem) -> None:
    gate = asyncio.Event()
    log: list[Any] = []
    ref = await actor_system.spawn(functools.partial(Gate, gate, log), capacity=1)
    ref.tell_nowait("wait")
    await asyncio.sleep(0)
    ref.tell_nowait(0)
    senders = [asyncio.create_task(ref.tell(i)) for i in range(1, 6)]
    await asyncio.sleep(0)
    gate.set()
    await asyncio.gather(*senders)
    await actor_system.wait_idle()
    assert log == ["wait", 0, 1, 2, 3, 4, 5]


class Relay(Actor):
    """On "q" (handled right after the mailbox woke a blocked sender) it sends "C" to
    ``target`` from the same step, before that sender can resume; logs everything."""

    def __init__(self, gate: asyncio.Event, log: list[Any]) -> None:
        self.gate = gate
        self.log = log
        self.target: ActorRef | None = None

    async def receive(self, message: Any) -> Any:
        if message == "wait":
            await self.gate.wait()
        elif message == "q":
            assert self.target is not None
            try:
                self.target.tell_nowait("C")
            except MailboxFull:
                self.log.append("C refused")
        self.log.append(message)
        return message


async def test_room_granted_to_a_blocked_sender_is_not_taken_by_a_later_tell(
    actor_system: ActorSystem,
) -> None:
    gate = asyncio.Event()
    log: list[Any] = []
    relay = Relay(gate, log)
    ref = await actor_system.spawn(lambda: relay, capacity=1)
    relay.target = ref
    ref.tell_nowait("wait")
    await asyncio.sleep(0)
    ref.tell_nowait("q")
    blocked = asyncio.create_task(ref.tell("A"))
    await asyncio.sleep(0)
    assert ref.statistics().blocked_senders == 1
    gate.set()
    await blocked
    later = asyncio.create_task(ref.tell("B"))
    await later
    await actor_system.wait_idle()
    # "A" waited first, so it is handled before anything sent after room was made for it.
    assert log == ["wait", "C refused", "q", "A", "B"]
