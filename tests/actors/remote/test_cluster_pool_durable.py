"""Durable pools across nodes: each node's pool subscribed under one durable name to a
work-queue stream is one JetStream work-queue consumer, so each job reaches one routee on one
node, at least once (acknowledged after the routee's handler returned)."""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import msgspec
import pytest

from actors import Actor, ActorSystem, ClusterConfig, DurableStream
from actors.testing import NatsServer

pytestmark = pytest.mark.real_time

JOBS = 200


class Job(msgspec.Struct):
    n: int


STREAMS = [DurableStream(name="jobs", subjects=["jobs.>"], retention="work_queue")]


class Worker(Actor):
    """Records (node, job) in ``handled``; fails the first delivery of the jobs in ``fail``."""

    def __init__(self, handled: list[tuple[str, int]], fail: set[int]) -> None:
        self.handled = handled
        self.fail = fail

    async def receive(self, message: Any) -> None:
        assert isinstance(message, Job)
        if message.n in self.fail:
            self.fail.discard(message.n)
            raise RuntimeError(f"job {message.n} failed once")
        self.handled.append((self.context.system.cluster.node, message.n))


@contextlib.asynccontextmanager
async def workers(
    url: str, handled: list[tuple[str, int]], fail: set[int]
) -> AsyncIterator[list[ActorSystem]]:
    async with contextlib.AsyncExitStack() as stack:
        systems = []
        for name in ("a", "b"):
            config = ClusterConfig(servers=[url], node=name, messages=[Job], streams=STREAMS)
            system = await stack.enter_async_context(ActorSystem("durable-pool", cluster=config))
            pool = await system.spawn_pool(lambda: Worker(handled, fail), size=2, name="work")
            # The same durable name on every node: one work-queue consumer they share.
            # At most 8 jobs held unacknowledged per node, so that both nodes fetch.
            await system.subscribe(pool, "jobs.>", durable="workers", max_ack_pending=8)
            systems.append(system)
        yield systems


@pytest.fixture
def js_server() -> Iterator[NatsServer]:
    server = NatsServer(jetstream=True)
    server.start()
    try:
        yield server
    finally:
        server.close()


async def wait_for(count: int, handled: list[tuple[str, int]]) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30.0
    while len(handled) < count:
        assert loop.time() < deadline, f"{len(handled)} of {count} jobs handled"
        await asyncio.sleep(0.02)  # JetStream delivers from the server (real time, bounded)


async def test_each_job_reaches_one_routee_on_one_node(js_server: NatsServer) -> None:
    handled: list[tuple[str, int]] = []
    async with workers(js_server.url, handled, set()) as (a, _):
        for n in range(JOBS):
            await a.publish("jobs.resize", Job(n))
        await wait_for(JOBS, handled)
    assert sorted(n for _, n in handled) == list(range(JOBS))  # each once
    per_node = collections.Counter(node for node, _ in handled)
    assert set(per_node) == {"a", "b"}, per_node


async def test_a_job_whose_handler_failed_is_redelivered_and_handled(
    js_server: NatsServer,
) -> None:
    handled: list[tuple[str, int]] = []
    fail = {3, 7, 11}
    async with workers(js_server.url, handled, fail) as (a, _):
        for n in range(20):
            await a.publish("jobs.resize", Job(n))
        await wait_for(20, handled)
    # At least once: the failed deliveries came back (after the backoff) and succeeded.
    assert sorted(n for _, n in handled) == list(range(20))
    assert fail == set()
