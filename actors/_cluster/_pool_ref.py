"""``ClusterPoolRef``: one ref in front of the routees a pool has on every node of a cluster."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from actors._core._errors import ActorError
from actors._core._ref import ActorRef

if TYPE_CHECKING:
    from actors._cluster._durable_pool import DurablePool
    from actors._core._cell import ActorCell
    from actors._core._mailbox import MailboxStatistics

__all__ = ["ClusterPoolRef", "PoolEndpoint"]


class PoolEndpoint(Protocol):
    """What a ``ClusterPoolRef`` delegates to: its node's side of the pool's queue group."""

    def tell(self, ref: ClusterPoolRef, message: Any, correlation_id: int | str | None) -> None:
        """Encode and queue ``message`` for one node serving the pool (at-most-once).

        Raises SerializationError when the message cannot be encoded."""

    async def send(
        self, ref: ClusterPoolRef, message: Any, correlation_id: int | str | None
    ) -> None:
        """As ``tell``; for a durable pool, returns once the server stored the message."""

    async def ask(
        self,
        ref: ClusterPoolRef,
        message: Any,
        timeout: float | None,
        correlation_id: int | str | None,
    ) -> Any:
        """Request/reply with one node serving the pool (see ``ClusterPoolRef.ask``)."""

    def is_connected(self) -> bool:
        """Whether this node is connected to NATS."""


class ClusterPoolRef(ActorRef):
    """A ref to a pool spread over the nodes of a cluster: every node that started a pool at
    ``path`` with ``cluster=True`` (``ActorSystem.spawn_pool(..., cluster=True)`` or
    ``Pool.factory(..., cluster=True)`` in a tree) serves it with its own routees.

    Returned by ``spawn_pool(..., cluster=True)`` and ``ActorSystem.cluster_pool(path)``
    (on any node, serving or not). Each message goes to one serving node, picked by the NATS
    queue group of the pool's subject, whose local pool routes it to one of its routees:
    work spreads over the nodes, and a node that is lost takes only its own routees (and
    the messages they held) with it. Delivery is at-most-once, as for any remote tell; an
    ask fails fast with ``ActorStopped`` when no node serves the pool.

    A durable pool (``spawn_pool(..., cluster=True, durable=...)``, ``durable`` is its
    ``DurablePool``) keeps its messages in a JetStream work queue instead: ``tell`` returns
    once the server stored the message, which then reaches one routee on one node at a time,
    at least once (see ``tell`` and ``ask``).

    The pool has no single home, so the operations that need one (``stop``, ``kill``,
    ``wait_stopped``, ``statistics``, death watch) raise ``ActorError``: stop the pool on
    each node (``system.lookup(path)``). Two refs to one pool path are equal.
    """

    __slots__ = ("_durable", "_endpoint", "_path")

    def __init__(
        self, endpoint: PoolEndpoint, path: str, durable: DurablePool | None = None
    ) -> None:
        self._endpoint = endpoint
        self._path = path
        self._durable = durable

    def __repr__(self) -> str:
        if self._durable is not None:
            return f"<ClusterPoolRef {self._path} durable={self._durable.name}>"
        return f"<ClusterPoolRef {self._path}>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ClusterPoolRef):
            return NotImplemented
        return self._path == other._path and self._durable_name == other._durable_name

    def __hash__(self) -> int:
        return hash(("cluster pool", self._path, self._durable_name))

    @property
    def _durable_name(self) -> str | None:
        return None if self._durable is None else self._durable.name

    @property
    def durable(self) -> DurablePool | None:
        """The durable pool's settings, or ``None`` for an at-most-once pool."""
        return self._durable

    @property
    def path(self) -> str:
        """The pool's path, the same on every node that serves it."""
        return self._path

    @property
    def name(self) -> str:
        """The last segment of the path."""
        return self._path.rsplit("/", 1)[-1]

    @property
    def is_alive(self) -> bool:
        """Whether this node is connected to NATS: which nodes serve the pool right now is
        known only when a message is sent (an ask then fails with ``ActorStopped``)."""
        return self._endpoint.is_connected()

    async def tell(
        self,
        message: Any,
        *,
        timeout: float | None = None,
        correlation_id: int | str | None = None,
    ) -> None:
        """Send ``message`` to one node serving the pool, at most once; returns once it is
        queued for the network (never waits, so ``timeout`` has nothing to bound). A message
        no node receives (none serves the pool, or the chosen one is lost) is lost; a full
        pool mailbox on the receiving node follows that pool's overflow policy there.

        For a durable pool, returns once the JetStream server stored the message (waiting
        at most 5 s for its acknowledgement; ``timeout`` is not used): from then on it is
        handled at least once, by one routee at a time, even if no node serves the pool
        yet, or the node handling it is lost.

        Raises:
            SerializationError: the message's type is not registered or cannot be encoded.
            DurablePublishFailed: (durable pool) the server did not acknowledge the message;
                it may or may not be stored.
            JetStreamUnavailable: (durable pool) the server runs without JetStream.
            JetStreamError: (durable pool) the server refused to create the pool's stream.
            NodeUnreachable: (durable pool) this node is not connected to NATS.
        """
        await self._endpoint.send(self, message, correlation_id)

    def tell_nowait(self, message: Any, *, correlation_id: int | str | None = None) -> None:
        """As ``tell``: a tell to a cluster pool never waits. For a durable pool the
        message is stored in the background; one the server does not acknowledge becomes
        a dead letter (reason ``unreachable``).

        Raises:
            SerializationError: the message's type is not registered or cannot be encoded.
        """
        self._endpoint.tell(self, message, correlation_id)

    async def ask(
        self,
        message: Any,
        *,
        timeout: float | None = 5.0,
        correlation_id: int | str | None = None,
    ) -> Any:
        """Send ``message`` to one node serving the pool and wait for the routee's reply.

        For a durable pool the message is stored with this node's reply subject and
        handled at least once: the ask is answered by the first delivery whose handler
        returned; a handler that raised is not reported while the message will be
        redelivered, only on its last delivery (``max_deliver``, then ``ActorFailed``).
        When ``timeout`` passes first, ``AskTimeout`` is raised but the stored message is
        still handled (work is not withdrawn); the reply of a redelivered duplicate, or
        one that comes after the timeout, is discarded (counted in
        ``system.cluster.late_replies``). Make handlers idempotent.

        Raises:
            ActorFailed: the routee's handler raised; ``remote_type``, ``remote_message`` and
                ``remote_traceback`` describe its exception.
            ActorStopped: no node serves the pool (NATS has no responder for it), or the
                chosen node's pool stopped before handling the message.
            AskTimeout: no reply within ``timeout`` (the node may have been lost with it).
            MailboxFull: the pool's mailbox on the chosen node was full.
            NodeUnreachable: this node is not connected to NATS.
            SerializationError: the message cannot be encoded; nothing was sent.
            DurablePublishFailed, JetStreamUnavailable, JetStreamError: (durable pool) as
                ``tell``.
        """
        return await self._endpoint.ask(self, message, timeout, correlation_id)

    def _homeless(self, what: str) -> ActorError:
        return ActorError(
            f"{what} needs the pool's node, and a cluster pool has one per node: use"
            f" system.lookup({self._path!r}) on each node",
            path=self._path,
        )

    async def stop(self, timeout: float | None = 5.0) -> None:
        """Not available for a cluster pool.

        Raises:
            ActorError: always; stop the pool on each node (``system.lookup(path)``).
        """
        raise self._homeless("stop")

    def kill(self) -> None:
        """Not available for a cluster pool.

        Raises:
            ActorError: always; kill the pool on each node (``system.lookup(path)``).
        """
        raise self._homeless("kill")

    async def wait_stopped(self) -> None:
        """Not available for a cluster pool.

        Raises:
            ActorError: always; wait for the pool on each node (``system.lookup(path)``).
        """
        raise self._homeless("wait_stopped")

    def statistics(self) -> MailboxStatistics:
        """Not available for a cluster pool.

        Raises:
            ActorError: always; read them on each node (``system.lookup(path)``).
        """
        raise self._homeless("statistics")

    def _watched_by(self, watcher: ActorCell) -> None:
        raise self._homeless("watch")

    def _unwatched_by(self, watcher: ActorCell) -> None:
        raise self._homeless("unwatch")
