"""A cluster node in a process of its own, for the fault tests.

    python -m tests.actors.remote._node_process URL NODE INTERVAL TIMEOUT

Runs node NODE of system "faults" with an echoing actor at ``/echo``; prints
``ready <incarnation>`` once it is a member, and ``incarnation <id>`` whenever it rejoins
as a new incarnation; stops on SIGTERM.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any

from actors import Actor, ActorSystem, ClusterConfig, MemberUp
from tests.actors.remote._cluster import MESSAGES, Item


class Echo(Actor):
    async def receive(self, message: Any) -> Any:
        if isinstance(message, Item):
            return Item(message.n + 1)
        return message


class Rejoins(Actor):
    """Prints this node's incarnation whenever it sees a member come up (after a rejoin,
    the peers come up again)."""

    subscriptions = ("system.cluster.member_up",)

    async def receive(self, message: Any) -> None:
        if isinstance(message, MemberUp):
            print("incarnation", self.context.system.cluster.statistics().incarnation, flush=True)


async def main(url: str, name: str, interval: float, timeout: float) -> None:
    config = ClusterConfig(
        servers=[url],
        node=name,
        messages=MESSAGES,
        heartbeat_interval=interval,
        heartbeat_timeout=timeout,
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with ActorSystem("faults", cluster=config) as system:
        await system.spawn(Echo, name="echo")
        await system.spawn(Rejoins, name="rejoins")
        print("ready", system.cluster.statistics().incarnation, flush=True)
        await stop.wait()


if __name__ == "__main__":
    url, name, interval, timeout = sys.argv[1:5]
    asyncio.run(main(url, name, float(interval), float(timeout)))
