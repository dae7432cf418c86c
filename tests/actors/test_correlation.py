"""Correlation and causation ids ride along tell and ask chains."""

from __future__ import annotations

import functools
from typing import Any

from actors import Actor, ActorRef, ActorSystem


class Hop(Actor):
    """Records (correlation, causation, message id) and forwards to `next_hop`, if any."""

    def __init__(self, seen: list[tuple[Any, Any, Any]], next_hop: ActorRef | None) -> None:
        self.seen = seen
        self.next_hop = next_hop

    async def receive(self, message: Any) -> Any:
        ctx = self.context
        self.seen.append((ctx.correlation_id, ctx.causation_id, ctx.message_id))
        if self.next_hop is not None:
            if message == "ask":
                return await self.next_hop.ask(message)
            await self.next_hop.tell(message)
        return ctx.correlation_id


async def _chain(system: ActorSystem, seen: list[Any]) -> ActorRef:
    last = await system.spawn(functools.partial(Hop, seen, None), name="c")
    middle = await system.spawn(functools.partial(Hop, seen, last), name="b")
    return await system.spawn(functools.partial(Hop, seen, middle), name="a")


async def test_a_message_from_outside_gets_a_fresh_correlation_id(
    actor_system: ActorSystem,
) -> None:
    seen: list[Any] = []
    ref = await actor_system.spawn(functools.partial(Hop, seen, None))
    first = await ref.ask("x")
    second = await ref.ask("x")
    assert first != second
    assert [s[1] for s in seen] == [None, None]  # no causation from outside a handler


async def test_tells_from_a_handler_inherit_the_correlation_and_record_the_cause(
    actor_system: ActorSystem,
) -> None:
    seen: list[Any] = []
    head = await _chain(actor_system, seen)
    await head.tell("tell", correlation_id="req-42")
    await actor_system.wait_idle()
    assert [s[0] for s in seen] == ["req-42"] * 3
    assert seen[1][1] == seen[0][2]  # b's message was caused by a's
    assert seen[2][1] == seen[1][2]


async def test_asks_from_a_handler_inherit_the_correlation_too(actor_system: ActorSystem) -> None:
    seen: list[Any] = []
    head = await _chain(actor_system, seen)
    assert await head.ask("ask", correlation_id=7) == 7
    assert [s[0] for s in seen] == [7, 7, 7]
