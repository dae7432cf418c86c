"""How-to "Metrics and health": Prometheus metrics and a health endpoint for a small service,
with JSON logs.

Run it with ``python -m examples.observability.service``: JSON lines on standard error, the
metrics and the health report on standard output.
"""

# --8<-- [start:imports]
from __future__ import annotations

import asyncio
import json
from typing import Any

import structlog

from actors import Actor, ActorFailed, ActorSystem
from actors.logging import configure
from actors.metrics import serve
from supervision import ChildSpec, OneForOne, Supervisor

# --8<-- [end:imports]


# --8<-- [start:actor]
class Checkout(Actor):
    async def receive(self, message: Any) -> Any:
        # Your own log lines carry the actor's path and the message's correlation id.
        structlog.get_logger("myapp.checkout").info("checkout.started", items=len(message))
        if not message:
            raise ValueError("empty basket")
        return sum(message)


class Shop(Supervisor):
    strategy = OneForOne(max_restarts=5, within=30.0)
    children = (ChildSpec("checkout", Checkout),)


# --8<-- [end:actor]


# --8<-- [start:metrics]
async def scrape(system: ActorSystem) -> str:
    server = await serve(system, port=0)  # supervise run --metrics-port does this
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /metrics HTTP/1.0\r\n\r\n")
    metrics = (await reader.read()).decode()
    writer.close()
    server.close()
    await server.wait_closed()
    return metrics


# --8<-- [end:metrics]


# --8<-- [start:health]
async def main() -> dict[str, Any]:
    configure(format="json", level="info")  # see Logging
    # timing_sample=1 times every message: the histograms' _count counts them all.
    async with ActorSystem("shop", timing_sample=1) as system:
        await system.spawn(Shop, name="shop")
        checkout = system.lookup("/shop/checkout")
        assert checkout is not None
        total = await checkout.ask([3, 4], correlation_id="req-17")
        try:
            await checkout.ask([], correlation_id="req-18")  # fails; logged, restarted
        except ActorFailed as failure:
            print("checkout failed:", failure.__cause__)

        lines = (await scrape(system)).splitlines()
        print("\n".join(line for line in lines if "Checkout" in line and "_bucket" not in line))
        health = system.health()  # ok / degraded / failed, from the supervision tree
        print(json.dumps(health.to_dict(), indent=2))
    return {"total": total, "health": health.status}


if __name__ == "__main__":
    asyncio.run(main())
# --8<-- [end:health]
