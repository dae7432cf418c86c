"""``RemoteWatches``: this node's death watch on actors of other nodes.

Local watchers of one remote actor share one registration on the actor's node (a ``Watch``
frame when the first one comes, an ``Unwatch`` when the last one goes); the end of the
actor (its node's ``Stopped`` frame, or the node declared down) is delivered to each of them
once as ``Terminated``.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable

from actors._cluster._remote_ref import RemoteActorRef
from actors._core._cell import ActorCell
from actors._core._messages import Terminated
from actors._core._state import STOPPED

__all__ = ["RemoteWatches"]

# How many ended remote refs are remembered (for is_alive), oldest forgotten first.
_ENDED_MEMORY = 65_536


class _Watch:
    """The local interest in one remote actor: watchers and wait_stopped waiters."""

    __slots__ = ("cells", "waiters")

    def __init__(self) -> None:
        self.cells: set[ActorCell] = set()
        self.waiters: list[asyncio.Future[None]] = []


class RemoteWatches:
    """Watches on remote actors (private). ``register(ref, True)`` sends the ``Watch`` frame
    for ``ref`` to its node, ``register(ref, False)`` the ``Unwatch``."""

    def __init__(self, register: Callable[[RemoteActorRef, bool], None]) -> None:
        self._register = register
        self._entries: dict[RemoteActorRef, _Watch] = {}
        self._ended: OrderedDict[RemoteActorRef, str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def ended(self, ref: RemoteActorRef) -> str | None:
        """Why ``ref``'s actor ended (``stopped``, ``node_lost``), or None if not seen."""
        return self._ended.get(ref)

    def watched(self) -> list[RemoteActorRef]:
        return list(self._entries)

    def watch(self, ref: RemoteActorRef, watcher: ActorCell) -> None:
        self._entry(ref).cells.add(watcher)

    async def wait_stopped(self, ref: RemoteActorRef) -> None:
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._entry(ref).waiters.append(waiter)
        await asyncio.shield(waiter)

    def unwatch(self, ref: RemoteActorRef, watcher: ActorCell) -> None:
        entry = self._entries.get(ref)
        if entry is not None:
            entry.cells.discard(watcher)
            if not entry.cells and not entry.waiters:
                del self._entries[ref]
                self._register(ref, False)
        # A Terminated already queued for it is withdrawn: after unwatch none arrives.
        notices = watcher.mailbox.notices
        for envelope in list(notices):
            message = envelope.message
            if isinstance(message, Terminated) and message.ref == ref:
                notices.remove(envelope)  # type: ignore[union-attr]  # non-empty: a deque
                watcher.mailbox.accepted -= 1

    def _entry(self, ref: RemoteActorRef) -> _Watch:
        entry = self._entries.get(ref)
        if entry is None:
            entry = self._entries[ref] = _Watch()
            self._register(ref, True)
        else:
            # Watchers that stopped meanwhile are pruned here, not tracked by callbacks.
            entry.cells = {cell for cell in entry.cells if cell.state is not STOPPED}
        return entry

    def terminate(self, ref: RemoteActorRef, reason: str) -> None:
        """The remote actor behind ``ref`` has ended: tell its watchers, once."""
        self._ended[ref] = reason
        if len(self._ended) > _ENDED_MEMORY:
            self._ended.popitem(last=False)
        entry = self._entries.pop(ref, None)
        if entry is None:
            return
        for cell in entry.cells:
            cell.deliver_notice(Terminated(ref, reason))
        for waiter in entry.waiters:
            if not waiter.done():
                waiter.set_result(None)
