"""Durable pools across nodes: ``spawn_pool(..., cluster=True, durable=...)`` keeps the
pool's messages in a JetStream work queue that every serving node's pool shares, so each
message reaches one routee on one node at a time, at least once (acknowledged after the
routee's handler returned), and a poison message becomes a dead letter."""

from __future__ import annotations

import collections
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import msgspec
import nats
import pytest

from actors import (
    Actor,
    ActorFailed,
    ActorSystem,
    AskTimeout,
    ClusterConfig,
    ClusterPoolRef,
    DeadLetter,
    DurablePool,
    JetStreamUnavailable,
    MaxDeliveriesExceeded,
)
from actors.testing import NatsServer
from tests.actors.remote._cluster import wait_until

pytestmark = pytest.mark.real_time

JOBS = 200
SYSTEM = "durable-pool"


class Job(msgspec.Struct):
    n: int


class Worker(Actor):
    """Records (node, job) in ``handled``; fails the first delivery of the jobs in ``fail``
    and every delivery of the jobs in ``poison``; answers an ask with ``n * 2``."""

    def __init__(
        self, handled: list[tuple[str, int]], fail: set[int], poison: frozenset[int]
    ) -> None:
        self.handled = handled
        self.fail = fail
        self.poison = poison

    async def receive(self, message: Any) -> int:
        assert isinstance(message, Job)
        if message.n in self.poison:
            raise RuntimeError(f"job {message.n} is poison")
        if message.n in self.fail:
            self.fail.discard(message.n)
            raise RuntimeError(f"job {message.n} failed once")
        self.handled.append((self.context.system.cluster.node, message.n))
        return message.n * 2


def config(url: str, name: str) -> ClusterConfig:
    return ClusterConfig(servers=[url], node=name, messages=[Job])


# At most 8 jobs held unacknowledged per node, so that both nodes fetch; quick backoff.
WORKERS = DurablePool(name="workers", max_ack_pending=8, max_deliver=3, backoff=[0.05])


@contextlib.asynccontextmanager
async def workers(
    url: str,
    handled: list[tuple[str, int]],
    fail: set[int] | None = None,
    poison: frozenset[int] = frozenset(),
    durable: DurablePool = WORKERS,
) -> AsyncIterator[list[tuple[ActorSystem, ClusterPoolRef]]]:
    failing = set() if fail is None else fail
    async with contextlib.AsyncExitStack() as stack:
        nodes = []
        for name in ("a", "b"):
            system = await stack.enter_async_context(ActorSystem(SYSTEM, cluster=config(url, name)))
            pool = await system.spawn_pool(
                lambda: Worker(handled, failing, poison),
                size=2,
                name="work",
                cluster=True,
                durable=durable,
            )
            assert isinstance(pool, ClusterPoolRef)
            nodes.append((system, pool))
        yield nodes


@pytest.fixture
def js_server() -> Iterator[NatsServer]:
    server = NatsServer(jetstream=True)
    server.start()
    try:
        yield server
    finally:
        server.close()


async def test_each_job_reaches_one_routee_on_one_node_exactly_once(
    js_server: NatsServer,
) -> None:
    handled: list[tuple[str, int]] = []
    async with workers(js_server.url, handled) as [(_, pool), _]:
        assert pool.durable == WORKERS
        for n in range(JOBS):
            await pool.tell(Job(n))  # returns once the server stored it
        await wait_until(lambda: len(handled) >= JOBS, timeout=30)
    assert sorted(n for _, n in handled) == list(range(JOBS))  # each exactly once
    per_node = collections.Counter(node for node, _ in handled)
    assert set(per_node) == {"a", "b"}, per_node


async def test_jobs_sent_before_any_node_serves_wait_in_the_queue(
    js_server: NatsServer,
) -> None:
    handled: list[tuple[str, int]] = []
    async with ActorSystem(SYSTEM, cluster=config(js_server.url, "sender")) as sender:
        pool = sender.cluster_pool("/work", durable=WORKERS)
        for n in range(20):
            await pool.tell(Job(n))
        async with workers(js_server.url, handled):
            await wait_until(lambda: len(handled) >= 20, timeout=30)
    assert sorted(n for _, n in handled) == list(range(20))


async def test_a_job_whose_handler_failed_is_redelivered_and_handled(
    js_server: NatsServer,
) -> None:
    handled: list[tuple[str, int]] = []
    fail = {3, 7, 11}
    async with workers(js_server.url, handled, fail) as [(_, pool), _]:
        for n in range(20):
            await pool.tell(Job(n))
        await wait_until(lambda: len(handled) >= 20, timeout=30)
    # At least once: the failed deliveries came back (after the backoff) and succeeded.
    assert sorted(n for _, n in handled) == list(range(20))
    assert fail == set()


async def test_a_poison_job_is_dead_lettered_with_its_deliveries_while_others_flow(
    js_server: NatsServer,
) -> None:
    handled: list[tuple[str, int]] = []
    letters: list[DeadLetter] = []
    nc = await nats.connect(js_server.url)
    dlq = await nc.subscribe(f"actors.{SYSTEM}.dlq.workers", max_msgs=1)
    try:
        async with workers(js_server.url, handled, poison=frozenset({5})) as nodes:
            for system, _ in nodes:
                system.dead_letters.add_listener(letters.append)
            pool = nodes[0][1]
            for n in range(30):
                await pool.tell(Job(n))
            await wait_until(lambda: len(handled) >= 29 and len(letters) >= 1, timeout=30)
            copy = await dlq.next_msg(timeout=10)
    finally:
        await nc.close()
    assert sorted(n for _, n in handled) == [n for n in range(30) if n != 5]
    [letter] = [letter for letter in letters if letter.reason == "max_deliveries"]
    assert letter.message == Job(5)
    assert isinstance(letter.error, MaxDeliveriesExceeded)
    assert letter.error.deliveries == 3
    assert letter.error.topic is None
    assert letter.error.durable == "workers"
    assert isinstance(letter.error.__cause__, RuntimeError)
    assert copy.headers is not None
    assert copy.headers["Actors-Deliveries"] == "3"
    assert copy.headers["Actors-Subscriber"] == "/work"


async def test_an_ask_is_answered_by_the_delivery_whose_handler_returned(
    js_server: NatsServer,
) -> None:
    handled: list[tuple[str, int]] = []
    async with workers(js_server.url, handled, {4}, frozenset({9})) as [(a, pool), _]:
        assert await pool.ask(Job(1), timeout=10) == 2
        # The first delivery raised: the ask waits for the redelivery, which returned.
        assert await pool.ask(Job(4), timeout=10) == 8
        # Every delivery raised: the last one answers.
        with pytest.raises(ActorFailed, match="poison"):
            await pool.ask(Job(9), timeout=10)
        # From another node, by path and durable name.
        assert await a.cluster_pool("/work", durable="workers").ask(Job(3), timeout=10) == 6


async def test_an_ask_that_times_out_leaves_the_job_queued(js_server: NatsServer) -> None:
    handled: list[tuple[str, int]] = []
    async with ActorSystem(SYSTEM, cluster=config(js_server.url, "asker")) as asker:
        pool = asker.cluster_pool("/work", durable=WORKERS)
        with pytest.raises(AskTimeout, match="stays queued"):
            await pool.ask(Job(7), timeout=0.2)  # no node serves the pool yet
        async with workers(js_server.url, handled):
            await wait_until(lambda: len(handled) >= 1, timeout=30)
        assert [n for _, n in handled] == [7]
        await wait_until(lambda: asker.cluster.late_replies >= 1, timeout=10)


async def test_a_durable_pool_refuses_a_server_without_jetstream(
    nats_server: NatsServer,
) -> None:
    async with ActorSystem(SYSTEM, cluster=config(nats_server.url, "a")) as system:
        with pytest.raises(JetStreamUnavailable, match="without JetStream"):
            await system.spawn_pool(
                lambda: Worker([], set(), frozenset()),
                size=1,
                name="work",
                cluster=True,
                durable="workers",
            )
        assert system.lookup("/work") is None  # nothing started


async def test_durable_needs_cluster_true_and_a_cluster() -> None:
    async with ActorSystem("local") as system:
        with pytest.raises(ValueError, match="needs cluster=True"):
            await system.spawn_pool(lambda: Worker([], set(), frozenset()), size=1, durable="w")
        with pytest.raises(JetStreamUnavailable, match="needs a cluster"):
            await system.spawn_pool(
                lambda: Worker([], set(), frozenset()), size=1, cluster=True, durable="w"
            )
        with pytest.raises(ValueError, match="JetStream consumer name"):
            await system.spawn_pool(
                lambda: Worker([], set(), frozenset()), size=1, cluster=True, durable="a.b"
            )
        with pytest.raises(TypeError, match="durable must be"):
            await system.spawn_pool(
                lambda: Worker([], set(), frozenset()), size=1, cluster=True, durable=3
            )
        assert system.lookup("/work") is None


def test_durable_pool_settings_are_validated_naming_the_field() -> None:
    with pytest.raises(ValueError, match="max_deliver"):
        DurablePool(name="w", max_deliver=0)
    with pytest.raises(ValueError, match="max_ack_pending"):
        DurablePool(name="w", max_ack_pending=0)
    with pytest.raises(ValueError, match="storage"):
        DurablePool(name="w", storage="disk")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="replicas"):
        DurablePool(name="w", replicas=7)
    assert DurablePool(name="w", backoff=[1, 2]).backoff == (1.0, 2.0)  # type: ignore[arg-type]
