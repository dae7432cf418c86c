"""Tutorial "A tree from a file", section "From Python": what ``supervise run`` does, in a
few lines of your own.

Run it with ``python -m examples.shop.from_python``.
"""

# --8<-- [start:imports]
from __future__ import annotations

import asyncio
from pathlib import Path

from supervision import create_system, load_tree, spawn_tree

# --8<-- [end:imports]

# --8<-- [start:main]
TREE = Path(__file__).with_name("tree.toml")


async def main(seconds: float = 1.0) -> dict[str, object]:
    spec = load_tree(TREE)  # raises ConfigError with every problem; starts nothing
    async with create_system(spec) as system:  # ActorSystem("shop", ...) from [system]
        root = await spawn_tree(system, spec)  # the root's ref, once every child started
        started = len(system.actors)
        print(f"{root.path}: {started} actors")
        await asyncio.sleep(seconds)  # a service would wait for a signal here
    return {"root": root.path, "actors": started, "closed": system.is_closed}


if __name__ == "__main__":
    asyncio.run(main())
# --8<-- [end:main]
