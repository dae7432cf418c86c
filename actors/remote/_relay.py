"""``WatchRelay``: the local actor (``/system/remote``) that watches local actors on behalf
of other nodes and tells them when one stops."""

from __future__ import annotations

from collections.abc import Callable

from actors._core._actor import Actor
from actors._core._messages import Terminated

__all__ = ["WatchRelay"]


class WatchRelay(Actor):
    """Receives the ``Terminated`` of every local actor a remote node watches, and hands its
    path and reason to ``stopped`` (the node tells the watching nodes)."""

    def __init__(self, stopped: Callable[[str, str], None]) -> None:
        self._stopped = stopped
        # Local path -> the (node, incarnation) pairs watching it.
        self.watchers: dict[str, set[tuple[str, str]]] = {}

    def add(self, path: str, watcher: tuple[str, str]) -> bool:
        """Record ``watcher``; True when ``path`` had no remote watcher before."""
        watchers = self.watchers.get(path)
        if watchers is None:
            self.watchers[path] = {watcher}
            return True
        watchers.add(watcher)
        return False

    def remove(self, path: str, watcher: tuple[str, str]) -> None:
        watchers = self.watchers.get(path)
        if watchers is not None:
            watchers.discard(watcher)
            if not watchers:
                del self.watchers[path]
                ref = self.context.system.lookup(path)
                if ref is not None:
                    self.context.unwatch(ref)

    def forget_node(self, node: str) -> None:
        """A node went down: its watches end with it."""
        for path in list(self.watchers):
            self.watchers[path] = {pair for pair in self.watchers[path] if pair[0] != node}
            if not self.watchers[path]:
                self.remove(path, ("", ""))

    def receive(self, message: object) -> None:
        if isinstance(message, Terminated):
            self._stopped(message.ref.path, message.reason)
