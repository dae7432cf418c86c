"""Scatter-gather and tail-chopping over a topic in a cluster: every subscriber of the topic
on every node is asked (the other nodes' as remote refs, from what each node told of its
subscribers), a lost node's subscriber times out or fails and is then no target at all;
and over a cluster pool every routee of every node serving it is asked."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

import pytest

from actors import Actor, ActorStopped, ActorSystem, RemoteActorRef
from actors.testing import NatsServer
from tests.actors.remote._cluster import Item, node, two_nodes, wait_until
from tests.actors.remote._pool_process import Worker
from tests.actors.remote.test_cluster_bus import bus_process
from tests.actors.remote.test_cluster_pool import nodes

pytestmark = pytest.mark.real_time


class Answer(Actor):
    """Answers ``Item(n)`` with ``Item(n + offset)`` after ``delay`` seconds."""

    def __init__(self, offset: int, delay: float = 0.0) -> None:
        self.offset = offset
        self.delay = delay

    async def receive(self, message: Any) -> Any:
        assert isinstance(message, Item)
        if self.delay:
            await asyncio.sleep(self.delay)
        return Item(message.n + self.offset)


def known(system: ActorSystem, topic: str) -> int:
    """How many subscribers of ``topic`` on the other nodes ``system`` knows of."""
    transport = system._transport
    assert transport is not None
    return len(transport.subscribers_of(topic))


async def test_a_topic_scatter_asks_the_subscribers_of_every_node(
    nats_server: NatsServer,
) -> None:
    async with two_nodes(nats_server.url) as (a, b):
        here = await a.spawn(lambda: Answer(10), name="here")
        await a.subscribe(here, "orders.>")
        there = await b.spawn(lambda: Answer(20), name="there")
        await b.subscribe(there, "orders.*")
        also = await b.spawn(lambda: Answer(30), name="also")
        await b.subscribe(also, "orders.new")
        await wait_until(lambda: known(a, "orders.new") == 2)
        result = await a.scatter("orders.new", Item(1), timeout=5.0)
        assert {reply.value.n for reply in result.replies} == {11, 21, 31}
        assert result.failures == result.timed_out == result.abandoned == ()
        remote = [target for target in result.asked if isinstance(target, RemoteActorRef)]
        assert sorted(ref.path for ref in remote) == ["/also", "/there"]
        assert {ref.node for ref in remote} == {"b"}
        assert result.asked[0] == here  # this node's subscribers first
        # A topic only some match: only those are asked.
        result = await a.scatter("orders.old", Item(1), timeout=5.0)
        assert sorted(reply.value.n for reply in result.replies) == [11, 21]
        # first=True returns at the first reply; the others are abandoned or answered.
        result = await a.scatter("orders.new", Item(2), timeout=5.0, first=True)
        assert len(result.replies) == 1
        assert result.first_reply is not None
        assert result.first_reply.value.n in {12, 22, 32}
        assert len(result.asked) == 3
        # An unsubscribed actor is no target once its node told of it.
        await b.unsubscribe(also)
        await wait_until(lambda: known(a, "orders.new") == 1)
        result = await a.scatter("orders.new", Item(3), timeout=5.0)
        assert sorted(reply.value.n for reply in result.replies) == [13, 23]


async def test_tail_chop_over_a_topic_moves_on_to_the_remote_subscriber(
    nats_server: NatsServer,
) -> None:
    async with two_nodes(nats_server.url) as (a, b):
        slow = await a.spawn(lambda: Answer(10, delay=2.0), name="slow")
        await a.subscribe(slow, "prices.eu")
        fast = await b.spawn(lambda: Answer(20), name="fast")
        await b.subscribe(fast, "prices.eu")
        await wait_until(lambda: known(a, "prices.eu") == 1)
        result = await a.tail_chop("prices.eu", Item(1), interval=0.2, timeout=5.0)
        assert result.first_reply is not None
        assert result.first_reply.value == Item(21)
        assert isinstance(result.first_reply.target, RemoteActorRef)
        assert result.first_reply.target.path == "/fast"
        assert result.asked == (slow, result.first_reply.target)
        assert result.abandoned == (slow,)


async def test_a_stopped_node_takes_its_subscribers_with_it(nats_server: NatsServer) -> None:
    async with node(nats_server.url, "a") as a:
        here = await a.spawn(lambda: Answer(10), name="here")
        await a.subscribe(here, "orders.>")
        async with node(nats_server.url, "b") as b:
            await a.cluster.wait_for("b")
            there = await b.spawn(lambda: Answer(20), name="there")
            await b.subscribe(there, "orders.>")
            await wait_until(lambda: known(a, "orders.new") == 1)
        await wait_until(lambda: a.cluster.members == ())
        result = await a.scatter("orders.new", Item(1), timeout=2.0)
        assert result.asked == (here,)
        assert result.values == (Item(11),)


async def test_a_killed_nodes_subscriber_times_out_or_fails_then_is_no_ghost(
    nats_server: NatsServer,
) -> None:
    # Node b (a child process) subscribes "orders.>" and answers None; heartbeat timeout 1 s.
    async with node(nats_server.url, "a", system="busfaults", heartbeat_timeout=3.0) as a:
        here = await a.spawn(lambda: Answer(10), name="here")
        await a.subscribe(here, "orders.>")
        child = bus_process(nats_server.url)
        try:
            await child.line("ready")
            await wait_until(lambda: known(a, "orders.new") == 1, timeout=20.0)
            result = await a.scatter("orders.new", Item(1), timeout=5.0)
            assert sorted(map(repr, result.values)) == ["Item(n=11)", "None"]
            child.process.send_signal(signal.SIGKILL)
            child.process.wait(10)
            # Killed, not yet declared down (3 s): its subscriber is asked and does not answer.
            result = await a.scatter("orders.new", Item(2), timeout=0.5)
            assert result.values == (Item(12),)
            lost = [*result.timed_out, *(failure.target for failure in result.failures)]
            assert len(lost) == 1
            assert isinstance(lost[0], RemoteActorRef)
            assert (lost[0].node, lost[0].path) == ("b", "/printer")
            # Declared down: its subscriber is no target any more.
            await wait_until(lambda: a.cluster.members == (), timeout=10.0)
            result = await a.scatter("orders.new", Item(3), timeout=0.5)
            assert result.asked == (here,)
            assert result.values == (Item(13),)
        finally:
            child.close()


def routees_known(system: ActorSystem, path: str) -> int:
    """How many routees of the cluster pool at ``path`` ``system`` knows of (its own too)."""
    transport = system._transport
    assert transport is not None
    return len(transport.pool_routees(path, False))


async def test_a_cluster_pool_scatter_asks_every_routee_on_every_node(
    nats_server: NatsServer,
) -> None:
    async with nodes(nats_server.url, "a", "b", "c") as (a, b, c):
        pool = await a.spawn_pool(Worker, size=2, name="work", cluster=True)
        await b.spawn_pool(Worker, size=2, name="work", cluster=True)
        await wait_until(lambda: routees_known(a, "/work") == 4)
        await wait_until(lambda: routees_known(c, "/work") == 4)
        result = await a.scatter(pool, [1, 0], timeout=5.0)
        assert sorted((node, routee) for node, routee, _ in result.values) == [
            ("a", "routee-0"),
            ("a", "routee-1"),
            ("b", "routee-0"),
            ("b", "routee-1"),
        ]
        remote = [ref for ref in result.asked if isinstance(ref, RemoteActorRef)]
        assert sorted((ref.node, ref.path) for ref in remote) == [
            ("b", "/work/routee-0"),
            ("b", "/work/routee-1"),
        ]
        # A node that serves nothing asks them all the same, from what a and b told.
        result = await c.scatter(c.cluster_pool("/work"), [2, 0], timeout=5.0)
        assert len(result.replies) == 4
        assert {node for node, _, _ in result.values} == {"a", "b"}
        assert len(result.asked) == 4
        assert all(isinstance(ref, RemoteActorRef) for ref in result.asked)
        # first=True: the first reply, and any that came in the same batch; the rest abandoned.
        result = await c.scatter(c.cluster_pool("/work"), [3, 0], timeout=5.0, first=True)
        assert result.first_reply is result.replies[0]
        assert len(result.replies) + len(result.abandoned) == 4
        # Tail-chopping over the pool: this node's routees first, then the other node's.
        result = await a.tail_chop(pool, [3, 0], interval=1.0, timeout=5.0)
        assert result.first_reply is not None
        assert result.first_reply.value[0] == "a"
        # A stopped pool's routees are no targets once its node told.
        local = b.lookup("/work")
        assert local is not None
        await local.stop()
        await wait_until(lambda: routees_known(a, "/work") == 2)
        result = await a.scatter(pool, [4, 0], timeout=5.0)
        assert {node for node, _, _ in result.values} == {"a"}
        assert len(result.asked) == 2


async def test_a_cluster_pool_no_node_serves_is_stopped(nats_server: NatsServer) -> None:
    async with nodes(nats_server.url, "a", "b") as (a, _):
        with pytest.raises(ActorStopped, match="no node of the cluster serves"):
            await a.scatter(a.cluster_pool("/nowhere"), [1, 0])
        with pytest.raises(ActorStopped, match="no node of the cluster serves"):
            await a.tail_chop(a.cluster_pool("/nowhere"), [1, 0], interval=0.1)
