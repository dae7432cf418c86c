"""How-to "Deploy a cluster on NATS", durable pools across nodes: jobs that are not lost.

Two worker nodes serve one durable pool; a frontend node stores 40 jobs in its JetStream
work queue before any worker runs, then asks one more. One job fails on its first
delivery and is redelivered; each job is done once. All nodes run in this one process
for the example; the script starts a ``nats-server`` with JetStream on a free loopback
port. Run it with ``python -m examples.cluster.durable_pool``.
"""

# --8<-- [start:worker]
from __future__ import annotations

import asyncio
import collections
from typing import Any

import msgspec

from actors import Actor, ActorSystem, ClusterConfig, DurablePool
from actors.testing import NatsServer


class Resize(msgspec.Struct):
    image: str


# The same settings on every node: at most 4 jobs held by one node at a time, a failed job
# redelivered after 0.1 s, a dead letter after 3 failed deliveries.
RESIZERS = DurablePool(name="resizers", max_ack_pending=4, max_deliver=3, backoff=[0.1])
JOBS = 41  # 40 told, 1 asked
done: collections.Counter[str] = collections.Counter()  # image -> times done
all_done = asyncio.Event()
flaky = {"photo7.jpg"}  # fails on its first delivery


class Resizer(Actor):
    """Resizes an image; the answer names the node that did it."""

    async def receive(self, message: Any) -> str:
        assert isinstance(message, Resize)
        if message.image in flaky:
            flaky.discard(message.image)
            raise OSError(f"disk hiccup on {message.image}")
        await asyncio.sleep(0.01)  # the work
        done[message.image] += 1
        if len(done) == JOBS:
            all_done.set()
        return f"{message.image} on {self.context.system.cluster.node}"


# --8<-- [end:worker]


def config(url: str, node: str) -> ClusterConfig:
    return ClusterConfig(servers=[url], node=node, messages=[Resize])


# --8<-- [start:node]
async def serve(url: str, node: str, ready: asyncio.Event, stop: asyncio.Event) -> None:
    async with ActorSystem("images", cluster=config(url, node)) as system:
        # This node's share of the durable pool: 2 routees, fed from the shared work queue.
        await system.spawn_pool(Resizer, size=2, name="resizers", cluster=True, durable=RESIZERS)
        ready.set()
        await stop.wait()


# --8<-- [end:node]


# --8<-- [start:client]
async def frontend(url: str) -> None:
    async with ActorSystem("images", cluster=config(url, "frontend")) as system:
        resizers = system.cluster_pool("/resizers", durable=RESIZERS)
        for n in range(40):
            await resizers.tell(Resize(f"photo{n}.jpg"))  # stored once this returns
        print("40 jobs stored; starting the workers")
        stop = asyncio.Event()
        started = {node: asyncio.Event() for node in ("worker-1", "worker-2")}
        nodes = [
            asyncio.create_task(serve(url, node, ready, stop)) for node, ready in started.items()
        ]
        try:
            answer = await resizers.ask(Resize("cover.jpg"), timeout=30.0)
            print("asked:", answer.split(" on ")[0], "on a worker")
            await asyncio.wait_for(all_done.wait(), 30.0)
        finally:
            stop.set()
            await asyncio.gather(*nodes)


# --8<-- [end:client]


# --8<-- [start:main]
async def main() -> collections.Counter[str]:
    with NatsServer(jetstream=True) as server:
        try:
            await frontend(server.url)
        finally:
            server.close()  # and remove its JetStream store
    print("jobs done:", len(done), "- each once:", set(done.values()) == {1})
    return done


if __name__ == "__main__":
    asyncio.run(main())
# --8<-- [end:main]
