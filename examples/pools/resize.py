"""Tutorial "A pool": bounded parallelism behind one ref.

Run it with ``python -m examples.pools.resize``.
"""

# --8<-- [start:imports]
from __future__ import annotations

import asyncio
import time
from typing import Any

from actors import Actor, ActorSystem, Pool, Routing
from supervision import ChildSpec, OneForOne, Supervisor

# --8<-- [end:imports]


# --8<-- [start:worker]
class Thumbnailer(Actor):
    """Pretends to resize an image: a blocking call, so it runs in the thread pool."""

    blocking = True

    def receive(self, message: Any) -> Any:
        name, size = message
        time.sleep(0.01)  # the blocking library call
        return f"{name}@{size}px by {self.context.name}"


# --8<-- [end:worker]


# --8<-- [start:pool]
async def thumbnails(system: ActorSystem) -> list[str]:
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
    return list(results)


# --8<-- [end:pool]


# --8<-- [start:hash]
async def by_image(system: ActorSystem) -> None:
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


# --8<-- [start:tree]
class Media(Supervisor):
    strategy = OneForOne(max_restarts=3, within=10.0)
    children = (ChildSpec("thumbnails", Pool.factory(Thumbnailer, 4, Routing.LEAST_LOADED)),)


# --8<-- [end:tree]


# --8<-- [start:main]
async def main() -> list[str]:
    async with ActorSystem("images") as system:
        results = await thumbnails(system)
        await by_image(system)
        media = await system.spawn(Media, name="media")
        print(media, "runs", system.lookup("/media/thumbnails"))
    return results


if __name__ == "__main__":
    asyncio.run(main())
# --8<-- [end:main]
