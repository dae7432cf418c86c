"""How-to "Deploy a cluster on NATS", pools across nodes: one pool, routees on two nodes.

Both nodes run in this one process for the example (in production each is a process or a
machine of its own); the script starts a ``nats-server`` on a free loopback port. Run it
with ``python -m examples.cluster.pool``.
"""

# --8<-- [start:worker]
from __future__ import annotations

import asyncio
import collections
from typing import Any

from actors import Actor, ActorSystem, ClusterConfig
from actors.testing import NatsServer


class Resizer(Actor):
    """Answers which node and routee handled the image."""

    async def receive(self, message: Any) -> Any:
        await asyncio.sleep(0.01)  # the work
        return f"{message} on {self.context.system.cluster.node}/{self.context.name}"


# --8<-- [end:worker]


# --8<-- [start:node]
async def serve(url: str, node: str, ready: asyncio.Event, done: asyncio.Event) -> None:
    config = ClusterConfig(servers=[url], node=node)
    async with ActorSystem("images", cluster=config) as system:
        # This node's part of the pool: 2 routees here, in the queue group of /resizers.
        await system.spawn_pool(Resizer, size=2, name="resizers", cluster=True)
        ready.set()
        await done.wait()


# --8<-- [end:node]


# --8<-- [start:client]
async def send_work(url: str) -> collections.Counter[str]:
    config = ClusterConfig(servers=[url], node="frontend")
    async with ActorSystem("images", cluster=config) as system:
        resizers = system.cluster_pool("/resizers")  # served by whichever nodes run it
        answers = await asyncio.gather(*(resizers.ask(f"photo{n}.jpg") for n in range(40)))
        per_node = collections.Counter(answer.split(" on ")[1].split("/")[0] for answer in answers)
        print(answers[0])
        print("handled per node:", dict(sorted(per_node.items())))
        return per_node


# --8<-- [end:client]


# --8<-- [start:main]
async def main() -> collections.Counter[str]:
    with NatsServer() as server:
        done = asyncio.Event()
        started = {node: asyncio.Event() for node in ("worker-1", "worker-2")}
        nodes = [
            asyncio.create_task(serve(server.url, node, ready, done))
            for node, ready in started.items()
        ]
        try:
            for ready in started.values():
                await asyncio.wait_for(ready.wait(), 30.0)
            return await send_work(server.url)
        finally:
            done.set()
            await asyncio.gather(*nodes)


if __name__ == "__main__":
    asyncio.run(main())
# --8<-- [end:main]
