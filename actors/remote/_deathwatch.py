"""``DeathWatch``: death watch across nodes, both ways, over the control subject.

This node's watches on remote actors are ``RemoteWatches`` (one ``Watch`` frame per remote
actor, whatever the number of local watchers); other nodes' watches on local actors are held
by the ``WatchRelay`` actor (``/system/remote``), which tells each watching node ``Stopped``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nats.aio.msg import Msg

from actors._cluster._remote_ref import RemoteActorRef
from actors._core._cell import ActorCell
from actors._core._log import logger
from actors._core._messages import Overflow, Terminated
from actors._core._state import STOPPED
from actors._system._system_bus import RUNTIME_PREFIX
from actors.remote._link import NodeLink
from actors.remote._relay import WatchRelay
from actors.remote._watches import RemoteWatches
from actors.remote._wire import DeclaredDown, Stopped, Unwatch, Watch

__all__ = ["DeathWatch"]

_RELAY_PATH = f"{RUNTIME_PREFIX}remote"


class DeathWatch:
    """Watches on remote actors and remote watches on local ones (private).

    ``local_cell(path, incarnation)`` finds a local actor a frame targets; ``rejoin(why)``
    is awaited when a peer says it declared this node down."""

    def __init__(
        self,
        link: NodeLink,
        local_cell: Callable[[str, str], ActorCell | None],
        rejoin: Callable[[str], Awaitable[None]],
    ) -> None:
        self._link = link
        self._local_cell = local_cell
        self._rejoin = rejoin
        self.watches = RemoteWatches(self._register_watch)
        self.relay: WatchRelay | None = None
        self._relay_cell: ActorCell | None = None

    def start(self) -> None:
        """Start the relay actor that watches local actors for other nodes."""
        system = self._link.system
        self.relay = relay = WatchRelay(self._relay_stopped)
        cell = ActorCell(
            system, None, "remote", _RELAY_PATH, lambda: relay, 1000, Overflow.BLOCK, 1.0
        )
        self._relay_cell = cell
        system._registry[cell.path] = cell
        cell.start_incarnation()

    def close(self) -> None:
        """Every local actor has stopped by now: tell the remote watchers of each."""
        relay = self.relay
        if relay is not None:
            for path in list(relay.watchers):
                self._relay_stopped(path)
        if self._relay_cell is not None:
            self._relay_cell.kill()

    def node_lost(self) -> None:
        """This node left: every remote actor it watched is lost to it."""
        for ref in self.watches.watched():
            self.terminate(ref, "node_lost")

    # ------------------------------------------------------------------ this node watching

    def is_alive(self, ref: RemoteActorRef) -> bool:
        if self.watches.ended(ref) is not None:
            return False
        return self._link.membership.incarnation_of(ref._node) == ref._incarnation

    async def wait_stopped(self, ref: RemoteActorRef) -> None:
        if self.is_alive(ref):
            await self.watches.wait_stopped(ref)

    def watch(self, ref: RemoteActorRef, watcher: ActorCell) -> None:
        if not self.is_alive(ref):
            reason = self.watches.ended(ref) or "node_lost"
            watcher.deliver_notice(Terminated(ref, reason))
            return
        self.watches.watch(ref, watcher)

    def unwatch(self, ref: RemoteActorRef, watcher: ActorCell) -> None:
        self.watches.unwatch(ref, watcher)

    def _register_watch(self, ref: RemoteActorRef, watch: bool) -> None:
        link = self._link
        kind = Watch if watch else Unwatch
        frame = kind(ref._path, ref._incarnation, link.node, link.incarnation)
        link.send_control(ref._node, frame)

    def terminate(self, ref: RemoteActorRef, reason: str) -> None:
        self.watches.terminate(ref, reason)

    def node_down(self, node: str, incarnation: str) -> None:
        """``node`` (that incarnation) was declared down: its actors ended for their
        watchers here, and its watches on local actors end with it."""
        for ref in [ref for ref in self.watches.watched() if ref._node == node]:
            if ref._incarnation == incarnation:
                self.terminate(ref, "node_lost")
        if self.relay is not None:
            self.relay.forget_node(node)

    def forget_watchers(self) -> None:
        """This node is a new incarnation: no remote watch on the old one holds."""
        if self.relay is not None:
            self.relay.watchers.clear()

    # ------------------------------------------------------------------ control frames

    async def on_control_frame(self, msg: Msg) -> None:
        link = self._link
        frame = link.decode(msg)
        if frame is None:
            return
        try:
            if isinstance(frame, Watch):
                self._remote_watch(frame)
            elif isinstance(frame, Unwatch):
                if frame.target_incarnation == link.incarnation and self.relay is not None:
                    self.relay.remove(frame.target, (frame.watcher_node, frame.watcher_incarnation))
            elif isinstance(frame, Stopped):
                self.terminate(
                    RemoteActorRef(link.endpoint, frame.node, frame.incarnation, frame.path),
                    frame.reason,
                )
            elif isinstance(frame, DeclaredDown):
                if frame.node == link.node and frame.incarnation == link.incarnation:
                    await self._rejoin("a peer declared this node down")
            else:
                link.unexpected(msg, frame)
        except Exception as error:
            logger.error("cluster.control_failed", node=link.node, exc_info=error)

    def _remote_watch(self, frame: Watch) -> None:
        link = self._link
        cell = self._local_cell(frame.target, frame.target_incarnation)
        watcher = (frame.watcher_node, frame.watcher_incarnation)
        if cell is None or cell.state is STOPPED or self._relay_cell is None:
            link.send_control(
                frame.watcher_node, Stopped(link.node, frame.target_incarnation, frame.target)
            )
            return
        assert self.relay is not None
        if self.relay.add(frame.target, watcher):
            self._relay_cell.watch(cell)

    def _relay_stopped(self, path: str, reason: str = "stopped") -> None:
        """A local actor that remote nodes watch has stopped: tell each watching node."""
        link = self._link
        assert self.relay is not None
        for node, incarnation in self.relay.watchers.pop(path, ()):
            if link.membership.incarnation_of(node) == incarnation:
                link.send_control(node, Stopped(link.node, link.incarnation, path, reason))
