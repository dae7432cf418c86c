"""How-to "Logging": one pipeline for the runtime's events, structlog and stdlib logging,
with correlation ids that follow a request through the actors.

Run it with ``python -m examples.observability.logs``: JSON lines on standard error.
"""

# --8<-- [start:imports]
from __future__ import annotations

import asyncio
import logging
from typing import Any

import structlog

from actors import Actor, ActorFailed, ActorSystem
from actors.logging import configure

# --8<-- [end:imports]


# --8<-- [start:logging]
def setup_logging() -> None:
    # Once, at start-up: the library never configures logging itself.
    configure(format="json", level="info")
    # The runtime logs on stdlib loggers under "actors." and "supervision.": levels work
    # per logger, as for any library. Here: no info line per dead letter.
    logging.getLogger("actors.dead_letter").setLevel(logging.WARNING)


# --8<-- [end:logging]


# --8<-- [start:actor]
class Checkout(Actor):
    async def receive(self, message: Any) -> Any:
        # Your own lines carry the actor's path and the message's correlation id, whether
        # they are structlog's or a plain stdlib logger's:
        structlog.get_logger("myapp.checkout").info("checkout.started", items=len(message))
        if not message:
            logging.getLogger("myapp.db").warning("empty basket, nothing to store")
            raise ValueError("empty basket")
        return sum(message)


# --8<-- [end:actor]


# --8<-- [start:requests]
async def requests(system: ActorSystem) -> int:
    checkout = await system.spawn(Checkout, name="checkout")
    # A request id from the outside world becomes the correlation id.
    total: int = await checkout.ask([3, 4], correlation_id="req-17")
    try:
        await checkout.ask([], correlation_id="req-18")  # fails: logged once, with traceback
    except ActorFailed as failure:
        print("checkout failed:", failure.__cause__)
    return total


# --8<-- [end:requests]


# --8<-- [start:main]
async def main() -> int:
    setup_logging()
    async with ActorSystem("shop") as system:
        return await requests(system)


if __name__ == "__main__":
    asyncio.run(main())
# --8<-- [end:main]
