"""Two nodes in two processes, started by one script: a NATS server on a free loopback
port, ``supervise run examples/cluster/shop.toml`` for the orders node and for the payments
node (each runs its own part of the tree), then this script
joins as a third node, places two orders on the orders node and stops everything.

    python -m examples.cluster.run
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys

from actors import ActorSystem, ClusterConfig
from actors.testing import NatsServer
from examples.cluster.messages import Charge, PlaceOrder, Receipt

MESSAGES = [PlaceOrder, Charge, Receipt]


def start_node(config: str, node: str, url: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "supervision", "run", config, "--node", node, "--nats", url]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def place_orders(url: str) -> list[Receipt]:
    config = ClusterConfig(servers=[url], node="client", messages=MESSAGES)
    async with ActorSystem("shop", cluster=config) as system:
        for node in ("orders", "payments"):
            await system.cluster.wait_for(node, timeout=30.0)
        orders = system.remote_ref("orders", "/shop/orders")
        receipts = []
        for order_id, amount in (("A-1", 4_200), ("A-2", 250_000)):
            receipt = await orders.ask(PlaceOrder(order_id, amount), timeout=10.0)
            print(f"{receipt.order_id}: approved={receipt.approved} by {receipt.by_node}")
            receipts.append(receipt)
        return receipts


def main() -> list[Receipt]:
    with NatsServer() as server:
        nodes = [
            start_node("examples/cluster/shop.toml", "payments", server.url),
            start_node("examples/cluster/shop.toml", "orders", server.url),
        ]
        try:
            return asyncio.run(place_orders(server.url))
        finally:
            for process in nodes:
                process.send_signal(signal.SIGTERM)
            for process in nodes:
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            codes = [process.returncode for process in nodes]
            print(f"nodes stopped with exit codes {codes}")


if __name__ == "__main__":
    main()
