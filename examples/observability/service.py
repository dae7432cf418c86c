"""How-to "Logging" and "Metrics and health": JSON logs with correlation ids, Prometheus
metrics and a health endpoint, from one small service.

Run it with ``python -m examples.observability.service``: JSON lines on standard error, the
metrics and the health report on standard output.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import structlog

from actors import Actor, ActorFailed, ActorSystem
from actors.logging import configure
from actors.metrics import serve
from supervision import ChildSpec, OneForOne, Supervisor


# --8<-- [start:actor]
class Checkout(Actor):
    async def receive(self, message: Any) -> Any:
        # Your own log lines carry the actor's path and the message's correlation id.
        structlog.get_logger().info("checkout.started", items=len(message))
        if not message:
            raise ValueError("empty basket")
        return sum(message)


class Shop(Supervisor):
    strategy = OneForOne(max_restarts=5, within=30.0)
    children = [ChildSpec("checkout", Checkout)]


# --8<-- [end:actor]


async def main() -> dict[str, Any]:
    # --8<-- [start:logging]
    configure(format="json", level="info")  # once, at start-up; the library never does
    # --8<-- [end:logging]
    async with ActorSystem("shop") as system:
        await system.spawn(Shop, name="shop")
        checkout = system.lookup("/shop/checkout")
        assert checkout is not None
        # --8<-- [start:requests]
        # A request id from the outside world becomes the correlation id.
        total = await checkout.ask([3, 4], correlation_id="req-17")
        try:
            await checkout.ask([], correlation_id="req-18")  # fails; logged, restarted
        except ActorFailed as failure:
            print("checkout failed:", failure.__cause__)
        # --8<-- [end:requests]

        # --8<-- [start:metrics]
        server = await serve(system, port=0)  # supervise run --metrics-port does this
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /metrics HTTP/1.0\r\n\r\n")
        metrics = (await reader.read()).decode()
        writer.close()
        server.close()
        await server.wait_closed()
        # --8<-- [end:metrics]
        lines = [line for line in metrics.splitlines() if line.startswith("actors_")]
        print("\n".join(line for line in lines if "Checkout" in line and "_bucket" not in line))
        # --8<-- [start:health]
        health = system.health()  # ok / degraded / failed, from the supervision tree
        print(json.dumps(health.to_dict(), indent=2))
        # --8<-- [end:health]
    return {"total": total, "health": health.status}


if __name__ == "__main__":
    asyncio.run(main())
