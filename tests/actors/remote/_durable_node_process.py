"""A node with a durable subscriber in a process of its own, for the durable fault tests.

    python -m tests.actors.remote._durable_node_process URL ACK_WAIT MAX_ACK_PENDING

Runs node ``sub`` of system ``dfaults``; its actor ``/billing`` subscribes to ``orders.>``
with durable name ``billing`` and prints ``n <N>`` for every event it handled (before the
handler returns, so before the event is acknowledged); prints ``ready`` once subscribed;
stops on SIGTERM.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any

from actors import Actor, ActorSystem, ClusterConfig, DurableStream
from tests.actors.remote._durable import DURABLE_MESSAGES, Event

STREAMS = [DurableStream(name="orders", subjects=["orders.>"])]


class Billing(Actor):
    def receive(self, message: Any) -> None:
        if isinstance(message, Event):
            sys.stdout.write(f"n {message.n}\n")
            sys.stdout.flush()


async def main(url: str, ack_wait: float, max_ack_pending: int) -> None:
    config = ClusterConfig(servers=[url], node="sub", messages=DURABLE_MESSAGES, streams=STREAMS)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with ActorSystem("dfaults", cluster=config) as system:
        ref = await system.spawn(Billing, name="billing")
        await system.subscribe(
            ref,
            "orders.>",
            durable="billing",
            ack_wait=ack_wait,
            max_ack_pending=max_ack_pending,
        )
        print("ready", flush=True)
        await stop.wait()


if __name__ == "__main__":
    url, ack_wait, max_ack_pending = sys.argv[1:4]
    asyncio.run(main(url, float(ack_wait), int(max_ack_pending)))
