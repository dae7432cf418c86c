"""Tutorial "A pool": bounded parallelism behind one ref.

Run it with ``python -m examples.pools.resize``.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from actors import Actor, ActorSystem, Pool, Routing
from supervision import ChildSpec, OneForOne, Supervisor


# --8<-- [start:worker]
class Thumbnailer(Actor):
    """Pretends to resize an image: a blocking call, so it runs in the thread pool."""

    blocking = True

    def receive(self, message: Any) -> Any:
        name, size = message
        time.sleep(0.01)  # the blocking library call
        return f"{name}@{size}px by {self.context.name}"


# --8<-- [end:worker]


async def main() -> list[str]:
    # --8<-- [start:pool]
    async with ActorSystem("images") as system:
        pool = await system.spawn_pool(
            Thumbnailer,
            size=4,  # at most 4 images in flight
            routing=Routing.ROUND_ROBIN,
            name="thumbnails",
        )
        # Asks are answered by the routee that handled them; routees work in parallel.
        results = await asyncio.gather(*(pool.ask((f"photo{n}.jpg", 256)) for n in range(8)))
        for line in results:
            print(line)
        # --8<-- [end:pool]

        # --8<-- [start:hash]
        sessions = await system.spawn_pool(
            Thumbnailer,
            size=4,
            routing=Routing.CONSISTENT_HASH,
            key=lambda message: message[0],  # the same image always goes to the same routee
            name="by-image",
        )
        first = await sessions.ask(("avatar.png", 64))
        again = await sessions.ask(("avatar.png", 128))
        print(first, "|", again)
        # --8<-- [end:hash]
    return results


# --8<-- [start:tree]
class Media(Supervisor):
    strategy = OneForOne(max_restarts=3, within=10.0)
    children = [
        ChildSpec("thumbnails", Pool.factory(Thumbnailer, 4, Routing.LEAST_LOADED)),
    ]


# --8<-- [end:tree]

if __name__ == "__main__":
    asyncio.run(main())
