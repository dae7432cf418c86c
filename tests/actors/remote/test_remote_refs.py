"""Remote refs: location transparency, ids that travel, death watch, membership events."""

from __future__ import annotations

import asyncio
from typing import Any

import nats
import nats.errors
import pytest
import structlog
from structlog.testing import LogCapture

from actors import (
    Actor,
    ActorRef,
    MemberDown,
    MemberUp,
    NodeUnreachable,
    RemoteActorRef,
    SerializationError,
    Terminated,
)
from actors.logging import add_message_context
from actors.testing import NatsServer
from tests.actors.remote._cluster import Item, Pointer, node, two_nodes, wait_until

pytestmark = pytest.mark.real_time


class Forwarder(Actor):
    """On Pointer(ref): asks that ref for Item(n) and returns the answer."""

    async def receive(self, message: Any) -> Any:
        if isinstance(message, Pointer):
            return await message.ref.ask(Item(int(message.note)))
        if isinstance(message, Item):
            return Item(message.n + 1)
        return None


class Ids(Actor):
    """Answers with the metadata of the message it handles."""

    async def receive(self, message: Any) -> Any:
        context = self.context
        structlog.get_logger().info("ids.handled")
        return [context.correlation_id, context.causation_id, repr(context.sender)]


class Relay(Actor):
    """Asks the ref it was told about, from inside its own handler."""

    def __init__(self, target: ActorRef) -> None:
        self.target = target

    async def receive(self, message: Any) -> Any:
        structlog.get_logger().info("relay.handled")
        return await self.target.ask(message)


class Watcher(Actor):
    def __init__(self, target: ActorRef, seen: asyncio.Queue[Terminated]) -> None:
        self.target = target
        self.seen = seen

    async def on_start(self) -> None:
        self.context.watch(self.target)

    async def receive(self, message: Any) -> None:
        if isinstance(message, Terminated):
            self.seen.put_nowait(message)


class Events(Actor):
    subscriptions = ("system.cluster.>",)

    def __init__(self, seen: asyncio.Queue[Any]) -> None:
        self.seen = seen

    async def receive(self, message: Any) -> None:
        self.seen.put_nowait(message)


async def test_a_ref_inside_a_message_arrives_as_a_working_ref(nats_server: NatsServer) -> None:
    async with two_nodes(nats_server.url) as (a, b):
        here = await a.spawn(Forwarder, name="here")
        await b.spawn(Forwarder, name="there")
        there = a.remote_ref("b", "/there")
        # b receives a ref to a's actor, asks it over the network, and answers with the result.
        assert await there.ask(Pointer(here, note="41")) == Item(42)
        # A ref to b's own actor comes home as the local ref.
        home = b.lookup("/there")
        back = await here.ask(Pointer(a.remote_ref("b", "/there"), note="1"))
        assert back == Item(2)
        assert home is not None


async def test_remote_ref_names_the_node_and_is_equal_for_the_same_address(
    nats_server: NatsServer,
) -> None:
    async with two_nodes(nats_server.url) as (a, _b):
        ref = a.remote_ref("b", "/x")
        assert isinstance(ref, RemoteActorRef)
        assert ref.node == "b"
        assert ref.path == "/x"
        assert ref.name == "x"
        assert ref == a.remote_ref("b", "/x")
        assert hash(ref) == hash(a.remote_ref("b", "/x"))
        assert ref.is_alive
        assert repr(ref) == "<RemoteActorRef b:/x>"
        with pytest.raises(NodeUnreachable, match="not a member"):
            a.remote_ref("c", "/x")
        with pytest.raises(ValueError, match="path"):
            a.remote_ref("b", "x")


async def test_an_unregistered_message_raises_serialization_error_at_the_sender(
    nats_server: NatsServer,
) -> None:
    class Unregistered:
        pass

    async with two_nodes(nats_server.url) as (a, _b):
        ref = a.remote_ref("b", "/x")
        with pytest.raises(SerializationError, match="Unregistered") as caught:
            ref.tell_nowait(Unregistered())
        assert caught.value.message_type == "Unregistered"
        with pytest.raises(SerializationError):
            await ref.ask({"set": {1, 2}} | {"x": object()})
        assert a.cluster.statistics().tells_sent == 0


async def test_correlation_and_causation_ids_travel_with_the_message(
    nats_server: NatsServer,
) -> None:
    async with two_nodes(nats_server.url) as (a, b):
        await b.spawn(Ids, name="ids")
        relay = await a.spawn(lambda: Relay(a.remote_ref("b", "/ids")), name="relay")
        capture = LogCapture()
        structlog.configure(
            processors=[structlog.contextvars.merge_contextvars, add_message_context, capture]
        )
        try:
            correlation, causation, sender = await relay.ask("go", correlation_id="order-7")
        finally:
            structlog.reset_defaults()
        assert correlation == "order-7"
        assert causation is not None
        assert sender == "<RemoteActorRef a:/relay>"
        # The logs of both nodes (here in one process) carry the same correlation id.
        mine = [
            (entry["event"], entry["actor"], entry["correlation_id"])
            for entry in capture.entries
            if entry["event"] in ("relay.handled", "ids.handled")
        ]
        assert mine == [("relay.handled", "/relay", "order-7"), ("ids.handled", "/ids", "order-7")]


async def test_watching_a_remote_actor_delivers_terminated_once_when_it_stops(
    nats_server: NatsServer,
) -> None:
    async with two_nodes(nats_server.url) as (a, b):
        target = await b.spawn(Forwarder, name="target")
        seen: asyncio.Queue[Terminated] = asyncio.Queue()
        remote = a.remote_ref("b", "/target")
        await a.spawn(lambda: Watcher(remote, seen), name="watcher")
        await remote.ask(Item(1))  # the watch frame went before this ask: b has it now
        await target.stop()
        notice = await asyncio.wait_for(seen.get(), 5.0)
        assert notice.ref == remote
        assert notice.reason == "stopped"
        assert not remote.is_alive
        await remote.wait_stopped()
        # A watch on a ref already known to be terminated answers at once.
        await a.spawn(lambda: Watcher(remote, seen), name="late")
        assert (await asyncio.wait_for(seen.get(), 5.0)).ref == remote
        assert seen.empty()


async def test_stop_on_a_remote_ref_stops_the_actor_on_its_node(nats_server: NatsServer) -> None:
    async with two_nodes(nats_server.url) as (a, b):
        local = await b.spawn(Forwarder, name="target")
        remote = a.remote_ref("b", "/target")
        await remote.stop()
        assert not local.is_alive
        assert not remote.is_alive


async def test_members_come_and_go_with_events_on_the_local_bus(nats_server: NatsServer) -> None:
    async with node(nats_server.url, "a") as a:
        seen: asyncio.Queue[Any] = asyncio.Queue()
        await a.spawn(lambda: Events(seen), name="events")
        async with node(nats_server.url, "b") as b:
            member = await a.cluster.wait_for("b")
            assert member.incarnation == b.cluster.statistics().incarnation
            assert [m.node for m in a.cluster.members] == ["b"]
            up = await asyncio.wait_for(seen.get(), 5.0)
            assert up == MemberUp("b", member.incarnation)
            remote = a.remote_ref("b", "/anything")
        down = await asyncio.wait_for(seen.get(), 5.0)
        assert down == MemberDown("b", member.incarnation, "left")
        assert a.cluster.members == ()
        assert not remote.is_alive
        with pytest.raises(NodeUnreachable):
            await remote.ask(Item(1))


async def test_an_ask_to_a_node_that_is_gone_raises_node_unreachable(
    nats_server: NatsServer,
) -> None:
    async with node(nats_server.url, "a", heartbeat_timeout=30.0) as a:
        async with node(nats_server.url, "b", heartbeat_timeout=30.0) as b:
            await a.cluster.wait_for("b")
            remote = a.remote_ref("b", "/x")
            # b disappears without a word (its leave frame is swallowed): only NATS knows.
            assert b._transport is not None
            b._transport._link.send = lambda *args, **kwargs: None  # type: ignore[attr-defined]
        assert a.cluster.member("b") is not None
        await _until_nats_dropped(nats_server.url, "actors.test.a.b.x")
        with pytest.raises(NodeUnreachable, match="nothing answers"):
            await remote.ask(Item(1), timeout=5.0)


async def test_a_returning_node_is_a_new_incarnation_and_old_refs_are_terminated(
    nats_server: NatsServer,
) -> None:
    async with node(nats_server.url, "a", heartbeat_timeout=30.0) as a:
        seen: asyncio.Queue[Terminated] = asyncio.Queue()
        first = node(nats_server.url, "b", heartbeat_timeout=30.0)
        await first.start()
        await first.spawn(Forwarder, name="target")
        await a.cluster.wait_for("b")
        old = a.remote_ref("b", "/target")
        await a.spawn(lambda: Watcher(old, seen), name="watcher")
        await old.ask(Item(1))
        assert first._transport is not None
        first._transport._link.send = lambda *args, **kwargs: None  # type: ignore[attr-defined]
        await first.shutdown()  # gone silently: no leave, no stopped notice
        async with node(nats_server.url, "b", heartbeat_timeout=30.0) as second:
            await second.spawn(Forwarder, name="target")
            await wait_until(lambda: a.cluster.member("b") != old_member(old))
            notice = await asyncio.wait_for(seen.get(), 5.0)
            assert notice.ref == old
            assert notice.reason == "node_lost"
            assert not old.is_alive
            fresh = a.remote_ref("b", "/target")
            assert fresh != old
            assert await fresh.ask(Item(1)) == Item(2)
            with pytest.raises(NodeUnreachable):
                await old.ask(Item(1))


async def _until_nats_dropped(url: str, subject: str) -> None:
    """Wait until the server has dropped the closed connection's subscriptions (it does so
    asynchronously): a raw request then meets no responders."""
    client = await nats.connect(url)
    try:
        for _attempt in range(50):
            try:
                await client.request(subject, b"", timeout=0.2)
            except nats.errors.NoRespondersError:
                return
            except nats.errors.TimeoutError:
                continue
        raise AssertionError("the server kept the closed node's subscription")
    finally:
        await client.close()


def old_member(ref: RemoteActorRef) -> Any:
    from actors import Member

    return Member(ref.node, ref.incarnation)


async def test_kill_on_a_remote_ref_kills_the_actor_and_watchers_learn_it_was_killed(
    nats_server: NatsServer,
) -> None:
    async with two_nodes(nats_server.url) as (a, b):
        local = await b.spawn(Forwarder, name="target")
        remote = a.remote_ref("b", "/target")
        seen: asyncio.Queue[Terminated] = asyncio.Queue()
        await a.spawn(lambda: Watcher(remote, seen), name="watcher")
        await remote.ask(Item(1))  # the watch reached b before this ask
        remote.kill()
        await asyncio.wait_for(local.wait_stopped(), 5.0)
        assert not local.is_alive
        notice = await asyncio.wait_for(seen.get(), 5.0)
        assert (notice.ref, notice.reason) == (remote, "killed")


async def test_after_unwatch_no_terminated_arrives_for_a_remote_actor(
    nats_server: NatsServer,
) -> None:
    class Unwatching(Actor):
        def __init__(self, target: ActorRef, seen: asyncio.Queue[Any]) -> None:
            self.target = target
            self.seen = seen

        async def receive(self, message: Any) -> Any:
            if message == "watch":
                self.context.watch(self.target)
            elif message == "unwatch":
                self.context.unwatch(self.target)
            else:
                self.seen.put_nowait(message)
            return None

    async with two_nodes(nats_server.url) as (a, b):
        target = await b.spawn(Forwarder, name="target")
        other = await b.spawn(Forwarder, name="other")
        remote = a.remote_ref("b", "/target")
        remote_other = a.remote_ref("b", "/other")
        seen: asyncio.Queue[Any] = asyncio.Queue()
        watcher = await a.spawn(lambda: Unwatching(remote, seen), name="watcher")
        second = await a.spawn(lambda: Watcher(remote_other, seen), name="second")
        await watcher.ask("watch")
        await watcher.ask("unwatch")
        await remote.ask(Item(1))  # the unwatch frame reached b before this ask
        await target.stop()
        await other.stop()
        # The other watch still fires: it is the only notice.
        notice = await asyncio.wait_for(seen.get(), 5.0)
        assert notice.ref == remote_other
        # Both nodes' handling of the first stop came before the second's notice.
        await watcher.ask("sync")
        assert seen.get_nowait() == "sync"
        assert seen.empty()
        assert second.is_alive


async def test_a_correlation_scope_outside_actors_travels_to_the_remote_handler(
    nats_server: NatsServer,
) -> None:
    from actors import correlation_scope

    async with two_nodes(nats_server.url) as (a, b):
        await b.spawn(Ids, name="ids")
        remote = a.remote_ref("b", "/ids")
        with correlation_scope("request-17"):
            correlation, causation, sender = await remote.ask("what")
        assert (correlation, causation, sender) == ("request-17", None, "None")
