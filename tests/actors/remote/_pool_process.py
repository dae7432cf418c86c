"""A cluster node serving the pool ``/work`` in a process of its own, for the fault tests.

    python -m tests.actors.remote._pool_process URL NODE

Runs node NODE of system "pools" with ``spawn_pool(Worker, size=2, name="work",
cluster=True)``; prints ``ready`` once it serves the pool; stops on SIGTERM.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any

import msgspec

from actors import Actor, ActorRef, ActorSystem, ClusterConfig

SYSTEM = "pools"


class Worker(Actor):
    """On ``[n, seconds]``: waits ``seconds``, then answers ``[node, routee, n]``; raises
    ``ValueError`` for a negative ``n``."""

    async def receive(self, message: Any) -> Any:
        n, seconds = message
        if n < 0:
            raise ValueError(f"cannot work on {n}")
        if seconds:
            await asyncio.sleep(seconds)
        return [self.context.system.cluster.node, self.context.name, n]


class Via(msgspec.Struct):
    """A message carrying a ref (to a cluster pool, in the tests)."""

    pool: ActorRef
    n: int


def config(url: str, name: str) -> ClusterConfig:
    return ClusterConfig(
        servers=[url],
        node=name,
        messages=[Via],
        heartbeat_interval=0.2,
        heartbeat_timeout=1.0,
    )


async def main(url: str, name: str) -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with ActorSystem(SYSTEM, cluster=config(url, name)) as system:
        await system.spawn_pool(Worker, size=2, name="work", cluster=True)
        print("ready", flush=True)
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
