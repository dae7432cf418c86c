"""Property tests: the event bus loses nothing silently and keeps publish order, whatever the
overflow policies, mailbox sizes and subscriber speeds (DESIGN 3, "The conservation law")."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from actors import Actor, ActorSystem, Overflow
from actors._routing._topics import pattern_matches
from actors.testing import run_virtual

TOPICS = ["a.x", "a.y", "b.x", "a.x.z"]
PATTERNS = ["a.*", "a.>", "*.x", "b.x", ">", "a.x.z"]
POLICIES = [Overflow.BLOCK, Overflow.DROP_NEWEST, Overflow.DROP_OLDEST]


class Slow(Actor):
    """Takes `delay` seconds (virtual) per event, and records what it handled."""

    def __init__(self, delay: float, handled: list[Any]) -> None:
        self.delay = delay
        self.handled = handled

    async def receive(self, message: Any) -> Any:
        if self.delay:
            await asyncio.sleep(self.delay)
        self.handled.append(message)
        return None


subscriber = st.tuples(
    st.lists(st.sampled_from(PATTERNS), min_size=1, max_size=3),
    st.integers(1, 4),  # capacity
    st.sampled_from(POLICIES),
    st.sampled_from([0.5, 2.0, None]),  # how long an event may wait for room
    st.sampled_from([0.0, 0.1, 1.0]),  # time per event
)


@settings(max_examples=150, deadline=None)
@given(
    subscribers=st.lists(subscriber, min_size=1, max_size=4),
    burst=st.lists(st.tuples(st.sampled_from(TOPICS), st.sampled_from([0.0, 0.3])), max_size=40),
)
def test_every_event_is_handled_or_a_dead_letter_naming_its_subscriber(
    subscribers: list[tuple[list[str], int, Overflow, float | None, float]],
    burst: list[tuple[str, float]],
) -> None:
    async def scenario() -> None:
        async with ActorSystem("bus-ledger") as system:
            refs = []
            logs: list[list[Any]] = []
            for patterns, capacity, overflow, timeout, delay in subscribers:
                received: list[Any] = []
                ref = await system.spawn(
                    functools.partial(Slow, delay, received), capacity=capacity, shutdown=None
                )
                for pattern in patterns:
                    await system.subscribe(ref, pattern, overflow=overflow, timeout=timeout)
                refs.append(ref)
                logs.append(received)
            for event, (topic, pause) in enumerate(burst):
                await system.publish(topic, event)
                if pause:
                    await asyncio.sleep(pause)
            await system.wait_idle()
            for ref, log, (patterns, *_) in zip(refs, logs, subscribers, strict=True):
                # A ">" subscriber also receives the dead letters (as DeadLetter events).
                handled = [event for event in log if isinstance(event, int)]
                expected = [
                    event
                    for event, (topic, _) in enumerate(burst)
                    if any(pattern_matches(pattern, topic) for pattern in patterns)
                ]
                dead = [
                    letter.message
                    for letter in system.dead_letters.recent
                    if letter.recipient == ref and isinstance(letter.message, int)
                ]
                assert {letter.reason for letter in system.dead_letters.recent} <= {"mailbox_full"}
                assert handled == sorted(handled), "publish order"
                assert sorted(handled + dead) == expected, "each event once, none lost"
                stats = ref.statistics()
                assert stats.accepted == stats.processed + stats.dead_lettered, stats

    run_virtual(scenario())
