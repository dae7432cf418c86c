"""Subscriptions made and removed at run time propagate: for generated sequences of
subscribe and unsubscribe calls on node b, b's NATS subscriptions end up being exactly the
patterns its local subscribers have (the runtime's ``system.*`` ones excepted), and node a
knows exactly those patterns for b. Real nodes on a real ``nats-server``."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actors import Actor, ActorRef, ActorSystem
from actors.testing import NatsServer
from tests.actors.remote._cluster import node, wait_until

pytestmark = pytest.mark.real_time

PATTERNS = ["orders.>", "orders.*", "orders.eu", "*.eu", ">", "system.custom"]
SUBSCRIBERS = 3

Nodes = tuple[asyncio.AbstractEventLoop, ActorSystem, ActorSystem, list[ActorRef]]


class Quiet(Actor):
    def receive(self, message: Any) -> None:
        pass


@pytest.fixture(scope="module")
def nodes(nats_server: NatsServer) -> Iterator[Nodes]:
    loop = asyncio.new_event_loop()
    a = node(nats_server.url, "a", system="interest")
    b = node(nats_server.url, "b", system="interest")

    async def setup() -> list[ActorRef]:
        await a.start()
        await b.start()
        await a.cluster.wait_for("b")
        await b.cluster.wait_for("a")
        return [await b.spawn(Quiet, name=f"s{index}") for index in range(SUBSCRIBERS)]

    refs = loop.run_until_complete(setup())
    yield loop, a, b, refs

    async def teardown() -> None:
        await b.shutdown()
        await a.shutdown()

    loop.run_until_complete(teardown())
    loop.close()


_OPERATIONS = st.lists(
    st.tuples(
        st.booleans(),  # subscribe (True) or unsubscribe
        st.integers(0, SUBSCRIBERS - 1),
        st.one_of(st.sampled_from(PATTERNS), st.none()),  # None: all (unsubscribe only)
    ),
    min_size=1,
    max_size=12,
)


async def _converged(a: ActorSystem, b: ActorSystem, expected: set[str]) -> None:
    on_b = b._transport._bus  # type: ignore[union-attr]
    on_a = a._transport._bus  # type: ignore[union-attr]
    await wait_until(
        lambda: (
            set(on_b._subscriptions) == expected and set(on_a._remote.patterns_of("b")) == expected
        ),
        timeout=10.0,
    )


@settings(max_examples=25, deadline=None)
@given(operations=_OPERATIONS)
def test_the_nats_subscriptions_and_the_peers_view_follow_the_local_ones(
    nodes: Nodes, operations: list[tuple[bool, int, str | None]]
) -> None:
    loop, a, b, refs = nodes

    async def run() -> None:
        local: dict[str, set[int]] = {}
        for subscribe, index, pattern in operations:
            if subscribe:
                pattern = pattern or PATTERNS[0]
                await b.subscribe(refs[index], pattern)
                local.setdefault(pattern, set()).add(index)
            else:
                await b.unsubscribe(refs[index], pattern)
                for held in local.values() if pattern is None else [local.get(pattern, set())]:
                    held.discard(index)
        expected = {
            pattern for pattern, held in local.items() if held and pattern != "system.custom"
        }
        await _converged(a, b, expected)
        for ref in refs:
            await b.unsubscribe(ref)
        await _converged(a, b, set())

    loop.run_until_complete(run())
