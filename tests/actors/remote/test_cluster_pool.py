"""Pools across nodes: a NATS queue group spreads a pool's messages over the nodes serving
it; a stopped pool (or a lost node) leaves the group and the others keep serving."""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from actors import (
    Actor,
    ActorError,
    ActorFailed,
    ActorStopped,
    ActorSystem,
    ClusterPoolRef,
    Pool,
    SerializationError,
)
from actors.testing import NatsServer
from supervision import ChildSpec, Supervisor, load_tree, spawn_tree
from tests.actors.remote._pool_process import SYSTEM, Via, Worker, config

pytestmark = pytest.mark.real_time


class Unregistered(msgspec.Struct):
    n: int


@contextlib.asynccontextmanager
async def nodes(url: str, *names: str) -> AsyncIterator[list[ActorSystem]]:
    """Nodes of the system "pools", each a member in the others' view."""
    async with contextlib.AsyncExitStack() as stack:
        systems = [
            await stack.enter_async_context(ActorSystem(SYSTEM, cluster=config(url, name)))
            for name in names
        ]
        for system in systems:
            for name in names:
                if name != system.cluster.node:
                    await system.cluster.wait_for(name)
        yield systems


async def ask_many(pool: Any, count: int) -> collections.Counter[tuple[str, str]]:
    answers = await asyncio.gather(*(pool.ask([n, 0]) for n in range(count)))
    assert sorted(answer[2] for answer in answers) == list(range(count))
    return collections.Counter((node, routee) for node, routee, _ in answers)


async def ask_until(
    pool: Any, nodes: set[str], count: int = 40, rounds: int = 10
) -> collections.Counter[tuple[str, str]]:
    """Bursts of ``count`` asks until each of ``nodes`` answered some (at most ``rounds``).

    NATS picks a queue group's member per message, but a burst is not always split: with
    raw nats-py too, about 1 burst of 80 requests in 15 all went to one member here."""
    seen: collections.Counter[tuple[str, str]] = collections.Counter()
    for _ in range(rounds):
        seen += await ask_many(pool, count)
        if {node for node, _ in seen} == nodes:
            break
    return seen


async def test_a_cluster_pool_spreads_asks_over_the_nodes_and_their_routees(
    nats_server: NatsServer,
) -> None:
    async with nodes(nats_server.url, "a", "b") as (a, b):
        pool = await a.spawn_pool(Worker, size=2, name="work", cluster=True)
        await b.spawn_pool(Worker, size=2, name="work", cluster=True)
        assert isinstance(pool, ClusterPoolRef)
        assert pool == b.cluster_pool("/work")
        assert pool.path == "/work"
        assert pool.name == "work"
        assert pool.is_alive
        seen = await ask_until(pool, {"a", "b"})
        assert {node for node, _ in seen} == {"a", "b"}
        # Each node's pool spreads its share over its own routees (round robin).
        assert {routee for _, routee in seen} == {"routee-0", "routee-1"}
        # The local pool is still there, and routes to this node's routees only.
        local = a.lookup("/work")
        assert local is not None
        assert (await local.ask([1, 0]))[0] == "a"


async def test_tells_to_a_cluster_pool_reach_both_nodes(nats_server: NatsServer) -> None:
    handled: list[tuple[str, int]] = []

    class Recorder(Actor):
        def receive(self, message: Any) -> None:
            handled.append((self.context.system.cluster.node, message))

    async with nodes(nats_server.url, "a", "b") as (a, b):
        pool = await a.spawn_pool(Recorder, size=2, name="record", cluster=True)
        await b.spawn_pool(Recorder, size=2, name="record", cluster=True)
        loop = asyncio.get_running_loop()
        sent = 0
        # Rounds of 20 tells until both nodes handled some (NATS picks the member at random
        # for each message); bounded in rounds and in time.
        for _ in range(10):
            for _ in range(19):
                pool.tell_nowait(sent)
                sent += 1
            await pool.tell(sent)
            sent += 1
            deadline = loop.time() + 10.0
            while len(handled) < sent and loop.time() < deadline:
                await a.wait_idle()
                await b.wait_idle()
                await asyncio.sleep(0.01)  # frames still on the wire (real time, bounded)
            if {node for node, _ in handled} == {"a", "b"}:
                break
        # Each tell handled once, by one node; both nodes got some.
        assert sorted(n for _, n in handled) == list(range(sent))
        assert {node for node, _ in handled} == {"a", "b"}


async def test_a_node_that_serves_nothing_can_send_to_a_cluster_pool(
    nats_server: NatsServer,
) -> None:
    async with nodes(nats_server.url, "a", "b") as (a, b):
        await b.spawn_pool(Worker, size=2, name="work", cluster=True)
        seen = await ask_many(a.cluster_pool("/work"), 20)
        assert {node for node, _ in seen} == {"b"}


async def test_an_ask_to_a_pool_no_node_serves_fails_fast(nats_server: NatsServer) -> None:
    async with nodes(nats_server.url, "a") as (a,):
        loop = asyncio.get_running_loop()
        began = loop.time()
        with pytest.raises(ActorStopped, match="no node of the cluster serves"):
            await a.cluster_pool("/nowhere").ask([1, 0], timeout=10.0)
        assert loop.time() - began < 5.0  # NATS's no-responders, not the timeout


async def test_a_stopped_pool_leaves_the_queue_group_and_the_others_serve(
    nats_server: NatsServer,
) -> None:
    async with nodes(nats_server.url, "a", "b") as (a, b):
        pool = await a.spawn_pool(Worker, size=2, name="work", cluster=True)
        await b.spawn_pool(Worker, size=2, name="work", cluster=True)
        assert {node for node, _ in await ask_until(pool, {"a", "b"})} == {"a", "b"}
        local = b.lookup("/work")
        assert local is not None
        await local.stop()
        assert {node for node, _ in await ask_many(pool, 40)} == {"a"}
        # And it comes back: a new pool at that path joins the group again.
        await b.spawn_pool(Worker, size=1, name="work", cluster=True)
        assert {node for node, _ in await ask_until(pool, {"a", "b"})} == {"a", "b"}


async def test_a_routee_failure_and_an_unencodable_message_are_typed_errors(
    nats_server: NatsServer,
) -> None:
    async with nodes(nats_server.url, "a", "b") as (a, b):
        await b.spawn_pool(Worker, size=1, name="work", cluster=True)
        pool = a.cluster_pool("/work")
        with pytest.raises(ActorFailed) as failed:
            await pool.ask([-1, 0])
        assert failed.value.remote_type == "ValueError"
        assert failed.value.remote_message == "cannot work on -1"
        assert "ValueError: cannot work on -1" in (failed.value.remote_traceback or "")
        with pytest.raises(SerializationError, match="Unregistered"):
            await pool.ask(Unregistered(1))
        with pytest.raises(SerializationError, match="Unregistered"):
            pool.tell_nowait(Unregistered(1))
        # The routee was restarted by its pool; the pool keeps serving.
        assert (await pool.ask([2, 0]))[2] == 2


async def test_a_pool_in_a_supervision_tree_serves_the_cluster(
    nats_server: NatsServer,
) -> None:
    class Service(Supervisor):
        children = (ChildSpec("work", Pool.factory(Worker, 2, cluster=True)),)

    async with nodes(nats_server.url, "a", "b") as (a, b):
        await a.spawn(Service, name="service")
        await b.spawn(Service, name="service")
        seen = await ask_until(a.cluster_pool("/service/work"), {"a", "b"})
        assert {node for node, _ in seen} == {"a", "b"}
        snapshot = a.lookup("/service/work")
        assert snapshot is not None
        assert snapshot._cell.instance.introspect()["cluster"] is True  # type: ignore[union-attr]


async def test_a_cluster_pool_needs_a_cluster_and_has_no_single_home(
    nats_server: NatsServer,
) -> None:
    async with ActorSystem("alone") as alone:
        with pytest.raises(RuntimeError, match="no cluster"):
            await alone.spawn_pool(Worker, size=1, cluster=True)
        assert alone.lookup("/work") is None
    with pytest.raises(TypeError, match="cluster must be True or False"):
        Pool(Worker, 1, cluster="yes")  # type: ignore[arg-type]
    async with nodes(nats_server.url, "a") as (a,):
        pool = a.cluster_pool("/work")
        with pytest.raises(ValueError, match="starts with '/'"):
            a.cluster_pool("work")
        with pytest.raises(ActorError, match="one per node"):
            await pool.stop()
        with pytest.raises(ActorError, match="one per node"):
            pool.kill()
        with pytest.raises(ActorError, match="one per node"):
            pool.statistics()
        with pytest.raises(ActorError, match="one per node"):
            await pool.wait_stopped()


async def test_a_killed_pool_leaves_the_queue_group_at_its_first_missed_message(
    nats_server: NatsServer,
) -> None:
    async with nodes(nats_server.url, "a", "b") as (a, b):
        pool = await a.spawn_pool(Worker, size=1, name="work", cluster=True)
        await b.spawn_pool(Worker, size=1, name="work", cluster=True)
        local = a.lookup("/work")
        assert local is not None
        local.kill()  # no on_stop: the queue group still holds node a
        refused = 0
        for _ in range(40):  # bounded: each ask either answered by b or refused by a
            try:
                node, _, _ = await pool.ask([0, 0])
            except ActorStopped:
                refused += 1
            else:
                assert node == "b"
        assert refused <= 2  # a leaves the group when a message finds no pool there
        assert a.dead_letters.count == refused
        # A new pool at the path serves again.
        await a.spawn_pool(Worker, size=1, name="work", cluster=True)
        assert {node for node, _ in await ask_until(pool, {"a", "b"})} == {"a", "b"}


TREE = """
[tree]
name = "service"
[[tree.children]]
name = "work"
actor = "tests.actors.remote._pool_process:Worker"
pool = { size = 2, cluster = true }
"""


async def test_a_pool_declared_with_cluster_true_in_a_tree_file_serves_the_cluster(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    path = tmp_path / "tree.toml"
    path.write_text(TREE)
    spec = load_tree(path)
    assert spec.tree.children[0].pool.cluster is True  # type: ignore[union-attr]
    async with nodes(nats_server.url, "a", "b") as (a, b):
        await spawn_tree(a, spec)
        await spawn_tree(b, spec)
        seen = await ask_until(a.cluster_pool("/service/work"), {"a", "b"})
        assert {node for node, _ in seen} == {"a", "b"}


async def test_a_cluster_pool_ref_inside_a_message_arrives_as_the_cluster_pool(
    nats_server: NatsServer,
) -> None:
    class Forwarder(Actor):
        async def receive(self, message: Any) -> Any:
            assert isinstance(message, Via)
            assert isinstance(message.pool, ClusterPoolRef)
            return await message.pool.ask([message.n, 0])

    async with nodes(nats_server.url, "frontend", "b", "c") as (frontend, b, c):
        await b.spawn_pool(Worker, size=1, name="work", cluster=True)
        await c.spawn_pool(Worker, size=1, name="work", cluster=True)
        await c.spawn(Forwarder, name="forwarder")
        forwarder = frontend.remote_ref("c", "/forwarder")
        # The frontend serves no pool: the ref travels as "the cluster pool", not as a ref
        # to a pool on the frontend node.
        pool = frontend.cluster_pool("/work")
        answered: set[str] = set()
        for n in range(300):  # bounded: until both serving nodes answered through the ref
            node, _, echoed = await forwarder.ask(Via(pool, n))
            assert echoed == n
            answered.add(node)
            if answered == {"b", "c"}:
                break
        assert answered == {"b", "c"}
