"""A cluster node in a process of its own, subscribed to ``orders.>`` on the bus.

    python -m tests.actors.remote._bus_process URL NODE INTERVAL TIMEOUT

Runs node NODE of system "busfaults"; prints ``ready`` once it runs and ``got <n>`` for
every ``Item(n)`` its subscriber receives; stops on SIGTERM.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any

from actors import Actor, ActorSystem, ClusterConfig
from tests.actors.remote._cluster import MESSAGES, Item


class Printer(Actor):
    subscriptions = ("orders.>",)

    async def receive(self, message: Any) -> None:
        if isinstance(message, Item):
            print("got", message.n, flush=True)


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
    async with ActorSystem("busfaults", cluster=config) as system:
        await system.spawn(Printer, name="printer")
        print("ready", flush=True)
        await stop.wait()


if __name__ == "__main__":
    url, name, interval, timeout = sys.argv[1:5]
    asyncio.run(main(url, name, float(interval), float(timeout)))
