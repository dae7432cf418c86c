"""How-to "Change a running tree": reload a tree from a new version of its file.

Run it with ``python -m examples.supervision.reload``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from actors import Actor
from supervision import apply_tree, create_system, load_tree, plan_reload, spawn_tree


class Orders(Actor):
    """Takes orders; its ``prefix`` comes from the file."""

    def __init__(self, prefix: str = "order") -> None:
        self.prefix = prefix
        self.count = 0

    def receive(self, message: Any) -> Any:
        self.count += 1
        return f"{self.prefix}-{self.count}: {message}"


class Audit(Actor):
    def receive(self, message: Any) -> Any:
        return None


ACTORS = "examples.supervision.reload"

VERSION_1 = f"""
[tree]
name = "shop"

[[tree.children]]
name = "orders"
actor = "{ACTORS}:Orders"
mailbox = {{ capacity = 100 }}

[[tree.children]]
name = "workers"
actor = "{ACTORS}:Orders"
pool = {{ size = 2 }}
"""

VERSION_2 = f"""
[tree]
name = "shop"
max_restarts = 10

[[tree.children]]
name = "orders"
actor = "{ACTORS}:Orders"
mailbox = {{ capacity = 1000, overflow = "reject" }}

[[tree.children]]
name = "workers"
actor = "{ACTORS}:Orders"
args = {{ prefix = "job" }}
pool = {{ size = 4 }}

[[tree.children]]
name = "audit"
actor = "{ACTORS}:Audit"
"""


async def main() -> None:
    with TemporaryDirectory() as folder:
        file = Path(folder) / "tree.toml"
        file.write_text(VERSION_1)
        spec = load_tree(file)
        async with create_system(spec) as system:
            await spawn_tree(system, spec)
            orders = system.lookup("/shop/orders")
            assert orders is not None
            print(await orders.ask("first"))
            file.write_text(VERSION_2)  # the operator edits the file
            new = load_tree(file)  # ConfigError here: nothing changes
            for line in plan_reload(system, new).lines():
                print(line)
            await apply_tree(system, new)
            # The same actor, its state kept: only its mailbox changed.
            print(await orders.ask("second"))
            print(orders.statistics().capacity, "places in the mailbox of /shop/orders")


if __name__ == "__main__":
    asyncio.run(main())
