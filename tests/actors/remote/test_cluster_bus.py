"""The event bus across nodes: a publish on one node reaches the matching subscribers on
every node, locally exactly once, through NATS subjects ``<prefix>.events.<topic>``; the other
nodes learn which patterns a node subscribes to, and a lost node's subscriptions go with it."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Iterator
from typing import Any

import msgspec
import nats
import pytest

from actors import (
    Actor,
    ActorRef,
    ActorSystem,
    ClusterConfig,
    Overflow,
    SerializationError,
)
from actors.testing import NatsServer
from tests.actors.remote._child_node import ChildNode
from tests.actors.remote._cluster import Item, node, wait_until

pytestmark = pytest.mark.real_time


@pytest.fixture
def server() -> Iterator[NatsServer]:
    with NatsServer() as running:
        yield running


class Unregistered(msgspec.Struct):
    n: int


class Sink(Actor):
    """Puts (topic, event, sender, correlation id) of everything it receives in a queue."""

    def __init__(self, seen: asyncio.Queue[Any]) -> None:
        self.seen = seen

    async def receive(self, message: Any) -> None:
        context = self.context
        self.seen.put_nowait((context.topic, message, context.sender, context.correlation_id))


class Gate(Actor):
    """Handles nothing until ``gate`` is set: its mailbox fills up."""

    def __init__(self, gate: asyncio.Event, handled: asyncio.Queue[Any]) -> None:
        self.gate = gate
        self.handled = handled

    async def receive(self, message: Any) -> None:
        await self.gate.wait()
        self.handled.put_nowait(message)


async def sink(
    system: ActorSystem, name: str, *patterns: str
) -> tuple[ActorRef, asyncio.Queue[Any]]:
    seen: asyncio.Queue[Any] = asyncio.Queue()
    ref = await system.spawn(lambda: Sink(seen), name=name)
    for pattern in patterns:
        await system.subscribe(ref, pattern)
    return ref, seen


async def take(queue: asyncio.Queue[Any], count: int) -> list[Any]:
    return [await asyncio.wait_for(queue.get(), 10.0) for _ in range(count)]


async def until_marker(queue: asyncio.Queue[Any]) -> list[Any]:
    """Everything received up to the ``Item(-1)`` marker (not included)."""
    received = []
    while True:
        topic, event, _, _ = await asyncio.wait_for(queue.get(), 10.0)
        if event == Item(-1):
            return received
        received.append((topic, event))


@pytest.fixture
async def cluster(
    server: NatsServer,
) -> AsyncIterator[tuple[ActorSystem, ActorSystem, ActorSystem]]:
    async with node(server.url, "a") as a, node(server.url, "b") as b, node(server.url, "c") as c:
        for system in (a, b, c):
            for other in ("a", "b", "c"):
                if other != system.cluster.node:
                    await system.cluster.wait_for(other)
        yield a, b, c


async def test_a_publish_reaches_every_matching_subscriber_on_every_node_once(
    cluster: tuple[ActorSystem, ActorSystem, ActorSystem],
) -> None:
    a, b, c = cluster
    _, on_a = await sink(a, "local", "orders.>")
    _, on_b = await sink(b, "wide", "orders.*", "orders.>", "*.eu")  # overlapping patterns
    _, on_c = await sink(c, "narrow", "orders.us")
    await a.cluster.wait_for_subscriber("b", "orders.eu")
    await a.cluster.wait_for_subscriber("c", "orders.us")
    assert a.cluster.subscribers("orders.eu") == ("b",)
    assert a.cluster.subscribers("orders.us") == ("b", "c")

    for n in range(20):
        await a.publish("orders.eu" if n % 2 else "orders.us", Item(n))
    a.publish_nowait("orders.us", Item(-1))

    expected = [("orders.eu" if n % 2 else "orders.us", Item(n)) for n in range(20)]
    assert await until_marker(on_b) == expected  # once each, in publish order
    assert await until_marker(on_c) == [pair for pair in expected if pair[0] == "orders.us"]
    # The local subscriber had each event from the local bus, not again from NATS.
    assert await until_marker(on_a) == expected
    echoes = a._transport._bus._subscriptions["orders.>"]  # type: ignore[union-attr]
    await wait_until(lambda: echoes.delivered > 0 and echoes.pending_msgs == 0)
    assert on_a.empty()
    assert on_b.empty()
    statistics = a.cluster.statistics()
    assert statistics.events_sent == 21
    assert b.cluster.statistics().events_received == 21


async def test_an_event_keeps_its_sender_and_correlation_id_across_nodes(
    cluster: tuple[ActorSystem, ActorSystem, ActorSystem],
) -> None:
    a, b, _ = cluster
    _, on_b = await sink(b, "sink", "audit.*")
    await a.cluster.wait_for_subscriber("b", "audit.login")

    class Publisher(Actor):
        async def receive(self, message: Any) -> None:
            await self.context.system.publish("audit.login", Item(message))

    publisher = await a.spawn(Publisher, name="publisher")
    await publisher.tell(7, correlation_id="req-7")
    topic, event, sender, correlation_id = (await take(on_b, 1))[0]
    assert (topic, event, correlation_id) == ("audit.login", Item(7), "req-7")
    assert sender.node == "a"
    assert sender.path == "/publisher"


async def test_nothing_crosses_nats_without_a_remote_subscriber(
    cluster: tuple[ActorSystem, ActorSystem, ActorSystem],
) -> None:
    a, b, _ = cluster
    _, on_a = await sink(a, "local", "local.>")
    await sink(b, "other", "other.>")
    await a.cluster.wait_for_subscriber("b", "other.x")
    # No other node subscribes to local.*: delivered here, not sent, so an unregistered
    # type is fine too.
    await a.publish("local.x", Unregistered(1))
    assert (await take(on_a, 1))[0][1] == Unregistered(1)
    assert a.cluster.statistics().events_sent == 0
    assert a.cluster.subscribers("local.x") == ()


async def test_the_runtime_topics_stay_on_their_node(
    cluster: tuple[ActorSystem, ActorSystem, ActorSystem],
) -> None:
    a, b, _ = cluster
    await sink(b, "everything", ">")
    await a.cluster.wait_for_subscriber("b", "orders.x")
    assert a.cluster.subscribers("system.cluster.member_up") == ()
    await a.publish("system.custom", Item(1))
    assert a.cluster.statistics().events_sent == 0
    # b subscribes NATS to `>` but never to its runtime topics.
    assert list(b._transport._bus._subscriptions) == [">"]  # type: ignore[union-attr]


async def test_an_unregistered_event_for_a_remote_subscriber_fails_at_the_publisher(
    cluster: tuple[ActorSystem, ActorSystem, ActorSystem],
) -> None:
    a, b, _ = cluster
    _, on_a = await sink(a, "local", "orders.>")
    await sink(b, "remote", "orders.>")
    await a.cluster.wait_for_subscriber("b", "orders.x")
    with pytest.raises(SerializationError, match="Unregistered"):
        await a.publish("orders.x", Unregistered(1))
    with pytest.raises(SerializationError):
        a.publish_nowait("orders.x", Unregistered(2))
    # Nothing was delivered, not even locally.
    await a.publish("orders.x", Item(-1))
    assert await until_marker(on_a) == []
    assert a.cluster.statistics().events_sent == 1


async def test_an_event_the_receiver_cannot_decode_is_an_undecodable_dead_letter(
    server: NatsServer,
) -> None:
    narrow = ActorSystem(
        "test",
        cluster=ClusterConfig(
            servers=[server.url],
            node="b",
            messages=[msgspec.defstruct("Other", [("n", int)])],
            heartbeat_interval=0.2,
            heartbeat_timeout=1.0,
        ),
    )
    async with node(server.url, "a") as a, narrow as b:
        await a.cluster.wait_for("b")
        _, on_b = await sink(b, "sink", "orders.>")
        await a.cluster.wait_for_subscriber("b", "orders.x")
        await a.publish("orders.x", Item(1))  # b does not know Item
        await a.publish("orders.x", 2)  # plain values need no registration
        raw = await nats.connect(server.url)
        try:
            await raw.publish("actors.test.events.orders.x", b"\xc1 not msgpack")
            await raw.flush()
        finally:
            await raw.close()
        await a.publish("orders.x", "last")
        events = [event for _, event, _, _ in await take(on_b, 2)]
        assert events == [2, "last"]
        await wait_until(lambda: b.dead_letters.by_reason.get("undecodable", 0) == 2)
        assert b.cluster.statistics().undecodable == 2
        assert b.cluster.statistics().events_received == 2


async def test_a_full_remote_subscriber_follows_its_overflow_policy_on_its_node(
    cluster: tuple[ActorSystem, ActorSystem, ActorSystem],
) -> None:
    a, b, _ = cluster
    gate = asyncio.Event()
    handled: asyncio.Queue[Any] = asyncio.Queue()
    slow = await b.spawn(lambda: Gate(gate, handled), name="slow", capacity=2)
    await b.subscribe(slow, "ticks", overflow=Overflow.DROP_NEWEST)
    _, tally = await sink(b, "tally", "ticks")
    await a.cluster.wait_for_subscriber("b", "ticks")
    for n in range(10):
        await a.publish("ticks", Item(n))
    await take(tally, 10)  # every event was fanned out on b, to the slow one too
    dropped = [letter for letter in b.dead_letters.recent if letter.recipient == slow]
    assert {letter.reason for letter in dropped} == {"mailbox_full"}
    # The slow subscriber kept the first two or three (one in its handler), the rest are
    # dead letters on b, in order, and nothing was dropped on a.
    kept = 10 - len(dropped)
    assert kept in (2, 3)
    assert [letter.message for letter in dropped] == [Item(n) for n in range(kept, 10)]
    assert a.dead_letters.count == 0
    gate.set()
    assert await take(handled, kept) == [Item(n) for n in range(kept)]


async def test_subscriptions_made_and_removed_at_run_time_propagate(
    cluster: tuple[ActorSystem, ActorSystem, ActorSystem],
) -> None:
    a, b, _ = cluster
    ref, on_b = await sink(b, "sink", "news.*")
    second, _ = await sink(b, "second", "news.*")
    await a.cluster.wait_for_subscriber("b", "news.today")
    bus = b._transport._bus  # type: ignore[union-attr]
    assert list(bus._subscriptions) == ["news.*"]  # one NATS subscription per pattern
    await b.unsubscribe(second)
    assert list(bus._subscriptions) == ["news.*"]  # still one local subscriber
    await a.publish("news.today", Item(1))
    assert (await take(on_b, 1))[0][1] == Item(1)

    await b.unsubscribe(ref, "news.*")
    await wait_until(lambda: a.cluster.subscribers("news.today") == ())
    await wait_until(lambda: not bus._subscriptions)
    sent = a.cluster.statistics().events_sent
    await a.publish("news.today", Item(2))
    assert a.cluster.statistics().events_sent == sent  # nobody subscribes: not sent

    # A subscriber that stops is unsubscribed, on every node.
    await b.subscribe(ref, "news.>")
    await a.cluster.wait_for_subscriber("b", "news.today")
    await ref.stop()
    await wait_until(lambda: a.cluster.subscribers("news.today") == ())


async def test_a_node_that_joins_later_learns_the_existing_subscriptions(
    server: NatsServer,
) -> None:
    async with node(server.url, "a") as a:
        _, on_a = await sink(a, "sink", "orders.>")
        async with node(server.url, "late") as late:
            await late.cluster.wait_for("a")
            await late.cluster.wait_for_subscriber("a", "orders.x", timeout=10.0)
            await late.publish("orders.x", Item(5))
            assert (await take(on_a, 1))[0][1] == Item(5)
        # It left: its subscriptions (none) and membership are gone; a keeps its own.
        assert a.cluster.subscribers("orders.x") == ()


async def test_waiting_for_a_subscriber_that_never_comes_times_out_typed(
    cluster: tuple[ActorSystem, ActorSystem, ActorSystem],
) -> None:
    a, _, _ = cluster
    with pytest.raises(TimeoutError, match=r"'b'.*'nobody\.here'"):
        await a.cluster.wait_for_subscriber("b", "nobody.here", timeout=0.2)
    with pytest.raises(ValueError, match="wildcard"):
        a.cluster.subscribers("orders.*")


async def test_a_system_without_a_cluster_never_forwards() -> None:
    async with ActorSystem("alone") as system:
        seen: asyncio.Queue[Any] = asyncio.Queue()
        ref = await system.spawn(lambda: Sink(seen), name="sink")
        await system.subscribe(ref, "x")
        assert system._bus_access.forward is None
        assert system._bus_access.interest is None
        await system.publish("x", Unregistered(1))
        assert (await take(seen, 1))[0][1] == Unregistered(1)


def bus_process(url: str) -> ChildNode:
    """Node ``b`` in a child process (tests/actors/remote/_bus_process.py)."""
    return ChildNode("_bus_process", url, "b", "0.2", "1.0")


async def test_a_killed_subscriber_node_leaves_no_ghost_subscription(
    server: NatsServer,
) -> None:
    async with node(server.url, "a", system="busfaults") as a:
        _, on_a = await sink(a, "local", "orders.>")
        child = bus_process(server.url)
        try:
            await child.line("ready")
            await a.cluster.wait_for_subscriber("b", "orders.new", timeout=20.0)
            await a.publish("orders.new", Item(1))
            assert await child.line("got") == "got 1"
            child.process.send_signal(signal.SIGKILL)
            child.process.wait(10)
            await wait_until(lambda: a.cluster.members == (), timeout=10.0)
            assert a.cluster.subscribers("orders.new") == ()
            sent = a.cluster.statistics().events_sent
            await a.publish("orders.new", Item(2))
            assert a.cluster.statistics().events_sent == sent  # nobody left to send to
        finally:
            child.close()
        # A new incarnation of b subscribes afresh and gets what is published from then on.
        again = bus_process(server.url)
        try:
            await again.line("ready")
            await a.cluster.wait_for_subscriber("b", "orders.new", timeout=20.0)
            await a.publish("orders.new", Item(3))
            assert await again.line("got") == "got 3"
        finally:
            again.close()
        assert [event for _, event, _, _ in await take(on_a, 3)] == [Item(1), Item(2), Item(3)]


async def test_a_nats_outage_counts_lost_events_and_the_bus_recovers(server: NatsServer) -> None:
    options: dict[str, Any] = {"heartbeat_interval": 0.5, "heartbeat_timeout": 30.0}
    async with node(server.url, "a", **options) as a, node(server.url, "b", **options) as b:
        await a.cluster.wait_for("b")
        _, on_b = await sink(b, "sink", "orders.>")
        await a.cluster.wait_for_subscriber("b", "orders.x")
        await a.publish("orders.x", Item(1))
        assert (await take(on_b, 1))[0][1] == Item(1)
        server.kill()
        await wait_until(lambda: not a._transport._link.connected())  # type: ignore[union-attr]
        lost = a.cluster.statistics().tells_lost
        for n in range(10):
            await a.publish("orders.x", Item(n))
        assert a.cluster.statistics().tells_lost == lost + 10  # at-most-once: counted
        server.start()
        await wait_until(
            lambda: a._transport._link.connected() and b._transport._link.connected(),  # type: ignore[union-attr]
            timeout=20.0,
        )
        # The NATS subscription came back with the connection: events flow again, bounded.
        for attempt in range(100):
            await a.publish("orders.x", Item(100 + attempt))
            try:
                event = (await asyncio.wait_for(on_b.get(), 0.2))[1]
            except TimeoutError:
                continue
            assert event.n >= 100
            break
        else:
            raise AssertionError("no event reached b after the server restarted")
        assert a.cluster.subscribers("orders.x") == ("b",)
