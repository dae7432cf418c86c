"""A cluster node serving a durable pool (``spawn_pool(..., cluster=True, durable=...)``),
in a process of its own, for the fault test.

    python -m tests.actors.remote._durable_pool_process URL NODE

Prints ``ready`` once its pool serves, then ``done <n>`` for each job its routees
finished (before the acknowledgement goes out); stops on SIGTERM.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any

import msgspec

from actors import Actor, ActorRef, ActorSystem, ClusterConfig, DurablePool

SYSTEM = "durable-pools"
# Seconds each job holds its routee; seconds JetStream waits for an acknowledgement before
# it redelivers a job (the node that had it was lost); jobs a node holds unacknowledged at
# most, few enough that its 2 routees finish them well within ACK_WAIT (otherwise the server
# redelivers jobs that are merely queued, and they are done twice).
WORK = 0.002
ACK_WAIT = 2.0
MAX_ACK_PENDING = 8
JOBS = DurablePool(name="workers", ack_wait=ACK_WAIT, max_ack_pending=MAX_ACK_PENDING)


class Job(msgspec.Struct):
    n: int


class Printer(Actor):
    """Works on a job, then prints ``done <n>``."""

    async def receive(self, message: Any) -> None:
        assert isinstance(message, Job)
        await asyncio.sleep(WORK)
        print("done", message.n, flush=True)


def config(url: str, name: str) -> ClusterConfig:
    return ClusterConfig(
        servers=[url],
        node=name,
        messages=[Job],
        heartbeat_interval=0.2,
        heartbeat_timeout=1.0,
    )


async def serve(system: ActorSystem, factory: Any) -> ActorRef:
    return await system.spawn_pool(factory, size=2, name="work", cluster=True, durable=JOBS)


async def main(url: str, name: str) -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with ActorSystem(SYSTEM, cluster=config(url, name)) as system:
        await serve(system, Printer)
        print("ready", flush=True)
        await stop.wait()


if __name__ == "__main__":
    # Run as the module its peers import, so that Job travels under the same name.
    from tests.actors.remote import _durable_pool_process as module

    asyncio.run(module.main(sys.argv[1], sys.argv[2]))
