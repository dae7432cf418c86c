"""How-to "Watch the tree live": serve the live view of a running tree, then read its JSON
API as a script would.

Run it with ``python -m examples.observability.live_view``: it prints the page's address,
the tree as ``/api/tree`` reports it, and the timeline after a failure. (To keep a page
open on a demo, run ``supervise run examples/shop/tree.toml --ui-port 8765`` instead.)
"""

# --8<-- [start:imports]
from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.request import urlopen

from actors import Actor, ActorSystem, snapshot_tree
from actors.liveview import serve
from supervision import ChildSpec, OneForOne, Supervisor

# --8<-- [end:imports]


# --8<-- [start:tree]
class Checkout(Actor):
    async def receive(self, message: Any) -> Any:
        if not message:
            raise ValueError("empty basket")
        return sum(message)


class Cache(Actor):
    def __init__(self) -> None:
        self.entries: dict[str, bytes] = {}

    def introspect(self) -> dict[str, Any]:
        # Shown in the live view and in snapshot_tree(); cheap, JSON-ready, never blocks.
        return {"entries": len(self.entries)}

    async def receive(self, message: Any) -> Any:
        key, value = message
        self.entries[key] = value


class Shop(Supervisor):
    strategy = OneForOne(max_restarts=5, within=30.0)
    children = (ChildSpec("checkout", Checkout), ChildSpec("cache", Cache))


# --8<-- [end:tree]


# --8<-- [start:main]
def get(url: str) -> Any:
    with urlopen(url, timeout=5) as response:  # a script reading the API
        return json.load(response)


async def main() -> dict[str, Any]:
    async with ActorSystem("shop") as system:
        shop = await system.spawn(Shop, name="shop")
        checkout = system.lookup("/shop/checkout")
        assert checkout is not None
        await checkout.ask([3, 4])
        cache = system.lookup("/shop/cache")
        assert cache is not None
        await cache.tell(("basket-1", b"3,4"))
        server = await serve(system, port=0)  # supervise run --ui-port does this
        print("live view at", server.url)
        loop = asyncio.get_running_loop()
        tree = await loop.run_in_executor(None, get, server.url + "api/tree")
        for actor in tree["actors"]:
            print(actor["path"], actor["state"], actor["details"]["strategy"])
            for child in actor["children"]:
                print(" ", child["path"], child["state"], "processed", child["processed"])
                print("   details:", child["details"])
        await checkout.tell([])  # fails: its supervisor restarts it
        await system.wait_idle()
        restarted = snapshot_tree(system).find(checkout.path)
        assert restarted is not None
        print(checkout.path, restarted.state, "restarts", restarted.restarts)
        events = await loop.run_in_executor(None, get, server.url + "api/events")
        for event in events["events"]:
            print(event["kind"], event["actor"], event["error"])
        await server.close()
        assert shop.is_alive
    return {"tree": tree, "events": events["events"]}


# --8<-- [end:main]
# --8<-- [start:guard]
if __name__ == "__main__":
    asyncio.run(main())
# --8<-- [end:guard]
