"""Faults with real processes on loopback: a node SIGKILLed, a node paused (SIGSTOP) and
resumed, the NATS server killed and restarted mid-traffic."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from typing import Any

import pytest

from actors import (
    Actor,
    ActorRef,
    AskTimeout,
    MemberDown,
    MemberUp,
    NodeUnreachable,
    Terminated,
)
from actors.testing import NatsServer
from tests.actors.remote._child_node import ChildNode
from tests.actors.remote._cluster import Item, node, wait_until

pytestmark = pytest.mark.real_time

INTERVAL = 0.2
TIMEOUT = 1.0
# Scheduling latency allowed on a loaded machine (2 cores shared by many processes).
SLACK = 0.1


@pytest.fixture
def server() -> Iterator[NatsServer]:
    with NatsServer() as running:
        yield running


def node_process(url: str, name: str = "b") -> ChildNode:
    """Node ``name`` in a child process (tests/actors/remote/_node_process.py)."""
    return ChildNode("_node_process", url, name, str(INTERVAL), str(TIMEOUT))


class Watcher(Actor):
    def __init__(self, target: ActorRef, seen: asyncio.Queue[Any]) -> None:
        self.target = target
        self.seen = seen

    async def on_start(self) -> None:
        self.context.watch(self.target)

    async def receive(self, message: Any) -> None:
        self.seen.put_nowait(message)


class Events(Actor):
    subscriptions = ("system.cluster.>",)

    def __init__(self, seen: asyncio.Queue[Any]) -> None:
        self.seen = seen

    async def receive(self, message: Any) -> None:
        self.seen.put_nowait(message)


async def next_of(queue: asyncio.Queue[Any], kind: type, timeout: float) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        item = await asyncio.wait_for(queue.get(), max(deadline - loop.time(), 0.001))
        if isinstance(item, kind):
            return item


async def test_a_killed_node_is_lost_within_the_heartbeat_timeout(server: NatsServer) -> None:
    child = node_process(server.url)
    try:
        async with node(
            server.url, "a", system="faults", heartbeat_interval=INTERVAL, heartbeat_timeout=TIMEOUT
        ) as a:
            await child.line("ready")
            await a.cluster.wait_for("b", timeout=20.0)
            remote = a.remote_ref("b", "/echo")
            seen: asyncio.Queue[Any] = asyncio.Queue()
            await a.spawn(lambda: Watcher(remote, seen), name="watcher")
            assert await remote.ask(Item(1)) == Item(2)
            pending = asyncio.ensure_future(remote.ask("never answered", timeout=30.0))
            await asyncio.sleep(0)  # let the pending ask go out before the kill
            loop = asyncio.get_running_loop()
            killed_at = loop.time()
            child.signal(signal.SIGKILL)
            notice = await asyncio.wait_for(seen.get(), TIMEOUT * 5)
            detected = loop.time() - killed_at
            assert isinstance(notice, Terminated)
            assert notice.reason == "node_lost"
            # Declared down TIMEOUT after its last heartbeat, which came before the kill (at
            # most INTERVAL before): within TIMEOUT of the kill, plus the time the loop takes
            # to run the timer and hand the notice to the watcher (SLACK).
            assert TIMEOUT - INTERVAL - SLACK <= detected <= TIMEOUT + SLACK, detected
            with pytest.raises(NodeUnreachable):
                await pending  # failed when the node was declared down, not at its timeout
            started = loop.time()
            with pytest.raises(NodeUnreachable):
                await remote.ask(Item(1), timeout=10.0)
            assert loop.time() - started < 1.0
            transport: Any = a._transport
            assert transport._outbound.asks == {}
            assert len(transport._deathwatch.watches) == 0
            assert a.cluster.members == ()
    finally:
        child.close()


async def test_a_paused_node_is_declared_down_and_rejoins_as_a_new_incarnation(
    server: NatsServer,
) -> None:
    child = node_process(server.url)
    try:
        async with node(
            server.url, "a", system="faults", heartbeat_interval=INTERVAL, heartbeat_timeout=TIMEOUT
        ) as a:
            events: asyncio.Queue[Any] = asyncio.Queue()
            await a.spawn(lambda: Events(events), name="events")
            first = (await child.line("ready")).split()[1]
            member = await a.cluster.wait_for("b", timeout=20.0)
            assert member.incarnation == first
            old = a.remote_ref("b", "/echo")
            seen: asyncio.Queue[Any] = asyncio.Queue()
            await a.spawn(lambda: Watcher(old, seen), name="watcher")
            assert await old.ask(Item(1)) == Item(2)
            child.signal(signal.SIGSTOP)
            down = await next_of(events, MemberDown, TIMEOUT * 5)
            assert down == MemberDown("b", first, "node_lost")
            assert (await asyncio.wait_for(seen.get(), 5.0)).reason == "node_lost"
            with pytest.raises(NodeUnreachable):
                await old.ask(Item(1))
            child.signal(signal.SIGCONT)
            up = await next_of(events, MemberUp, 20.0)
            assert up.node == "b"
            assert up.incarnation != first
            fresh = a.remote_ref("b", "/echo")
            assert fresh.incarnation == up.incarnation
            assert await fresh.ask(Item(5)) == Item(6)
            assert not old.is_alive
            with pytest.raises(NodeUnreachable):
                await old.ask(Item(1))
    finally:
        child.close()


async def test_a_nats_outage_fails_asks_typed_counts_lost_tells_and_recovers(
    server: NatsServer,
) -> None:
    options: dict[str, Any] = {"system": "outage", "heartbeat_interval": 0.5}
    options["heartbeat_timeout"] = 30.0  # the outage is not a node loss here
    async with node(server.url, "a", **options) as a, node(server.url, "b", **options) as b:
        await a.cluster.wait_for("b")
        echo = await b.spawn(Echo, name="echo")
        remote = a.remote_ref("b", "/echo")
        for n in range(100):
            remote.tell_nowait(Item(n))
        assert await remote.ask(Item(0)) == Item(1)
        server.kill()
        loop = asyncio.get_running_loop()
        await wait_until(lambda: not a._transport._link.connected())  # type: ignore[union-attr]
        lost_before = a.cluster.statistics().tells_lost
        for n in range(50):
            remote.tell_nowait(Item(n))
        assert a.cluster.statistics().tells_lost == lost_before + 50
        for _ in range(3):
            started = loop.time()
            with pytest.raises((NodeUnreachable, AskTimeout)):
                await remote.ask(Item(1), timeout=0.5)
            assert loop.time() - started < 1.5
        server.start()
        # Reconnect (the clients retry every 0.2 s); bounded in count and time.
        for _attempt in range(100):
            try:
                assert await remote.ask(Item(41), timeout=1.0) == Item(42)
                break
            except (NodeUnreachable, AskTimeout):
                await asyncio.sleep(0.1)
        else:
            raise AssertionError("the cluster did not recover after the server restarted")
        assert echo.is_alive
        assert a.cluster.member("b") is not None


class Echo(Actor):
    async def receive(self, message: Any) -> Any:
        if isinstance(message, Item):
            return Item(message.n + 1)
        return message
