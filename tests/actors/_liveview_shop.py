"""The shop demo tree running in a thread with its live view, for the browser tests."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from actors import ActorSystem
from actors.liveview import LiveViewServer, serve
from supervision.config._build import create_system, spawn_tree
from supervision.config._tree import load_tree

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[2]
SHOP_TREE = ROOT / "examples" / "shop" / "tree.toml"


def quiet_shop_tree(directory: Path, name: str = "shop") -> Path:
    """The shop demo's tree with its order source slowed down, its chaos switch off and no
    provider outage, so the test decides when orders come and what fails; ``name`` names
    the system and root."""
    text = SHOP_TREE.read_text()
    text = text.replace("interval = 0.05", "interval = 3600.0").replace("rate = 0.05", "rate = 0.0")
    text = text.replace(", outage_first = 4, outage_last = 8", "")
    text = text.replace('name = "shop"', f'name = "{name}"').replace("/shop/", f"/{name}/")
    tree = directory / f"{name}.toml"
    tree.write_text(text)
    return tree


class RunningShop:
    """A system running the shop tree on its own event loop thread, with a live view."""

    def __init__(self, tree: Path) -> None:
        self._tree = tree
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="shop", daemon=True)
        self._thread.start()
        self.system: ActorSystem = self.call(self._start)
        self.server: LiveViewServer = self.call(lambda: serve(self.system, 0))
        self.port = self.server.port

    async def _start(self) -> ActorSystem:
        spec = load_tree(self._tree)
        system = create_system(spec)
        await system.__aenter__()
        await spawn_tree(system, spec)
        return system

    def call(self, make: Callable[[], Awaitable[T]], timeout: float = 10.0) -> T:
        """Run ``make()`` on the system's loop and return its result."""

        async def run() -> T:
            return await make()

        future: Future[T] = asyncio.run_coroutine_threadsafe(run(), self._loop)
        return future.result(timeout)

    def do(self, function: Callable[[], T]) -> T:
        """Run a plain function on the system's loop thread and return its result."""

        async def run() -> T:
            return function()

        return self.call(run)

    def restart_server(self, peers: tuple[str, ...] = ()) -> None:
        """Serve the live view again on the same port (showing ``peers`` beside it)."""
        self.call(self.server.close)
        self.server = self.call(lambda: serve(self.system, self.port, peers=peers))

    def stop(self) -> None:
        async def finish() -> Any:
            await self.server.close()
            await self.system.shutdown(10.0)

        try:
            self.call(finish, timeout=30.0)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10.0)
            self._loop.close()
