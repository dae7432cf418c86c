"""The transport seam: what the in-process runtime asks of a cluster transport.

``ActorSystem`` and ``RemoteActorRef`` talk to a transport only through these protocols, so
the local runtime never imports the implementation (``actors.remote``, on NATS), which is
loaded only when a system is given a ``ClusterConfig``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    # cycle: typing only; the transport makes remote refs, and each remote ref holds its transport.
    from actors._cluster._cluster import Cluster
    from actors._cluster._durable_options import DurableOptions
    from actors._cluster._durable_pool import DurablePool
    from actors._cluster._remote_ref import RemoteActorRef
    from actors._cluster._streams import DurableStream
    from actors._core._cell import ActorCell
    from actors._core._ref import ActorRef

__all__ = ["DurableEvents", "PoolServing", "RemoteEndpoint", "Transport"]


class PoolServing(Protocol):
    """A node's membership of a cluster pool's queue group, or its share of a durable pool's
    consumer (see ``Transport.serve_pool``)."""

    async def close(self) -> None:
        """Leave the queue group (end the consumer). Idempotent."""


class RemoteEndpoint(Protocol):
    """What a ``RemoteActorRef`` delegates to: its node's side of the connection."""

    def tell(self, ref: RemoteActorRef, message: Any, correlation_id: int | str | None) -> None:
        """Encode and queue ``message`` for ``ref`` without waiting (at-most-once).

        Raises SerializationError when the message cannot be encoded."""

    async def ask(
        self,
        ref: RemoteActorRef,
        message: Any,
        timeout: float | None,
        correlation_id: int | str | None,
    ) -> Any:
        """Request/reply with the remote actor (see ``ActorRef.ask`` for the errors)."""

    async def stop(self, ref: RemoteActorRef, timeout: float | None) -> None:
        """Stop the remote actor gracefully and wait until it stopped."""

    def kill(self, ref: RemoteActorRef) -> None:
        """Ask the remote node to kill the actor (fire and forget)."""

    def is_alive(self, ref: RemoteActorRef) -> bool:
        """As far as this node knows: the node is a member in the ref's incarnation and no
        termination of the actor was seen."""

    async def wait_stopped(self, ref: RemoteActorRef) -> None:
        """Wait until the actor stopped or its node was declared down."""

    def watch(self, ref: RemoteActorRef, watcher: ActorCell) -> None:
        """Deliver ``Terminated(ref)`` to ``watcher`` once the remote actor ends."""

    def unwatch(self, ref: RemoteActorRef, watcher: ActorCell) -> None:
        """Undo ``watch``; no ``Terminated`` for ``ref`` reaches ``watcher`` afterwards."""


class DurableEvents(Protocol):
    """A node's durable events (JetStream): what ``publish`` and ``subscribe`` use."""

    def durable_stream(self, topic: str) -> DurableStream | None:
        """The declared stream that keeps events on ``topic``, or ``None``."""

    async def publish(
        self,
        stream: DurableStream,
        topic: str,
        event: Any,
        key: str | None,
        correlation_id: int | str,
    ) -> None:
        """Store ``event`` in ``stream``; returns once the server acknowledged it."""

    async def subscribe(self, ref: ActorRef, pattern: str, options: DurableOptions) -> None:
        """Create or bind a durable consumer for ``pattern`` and feed ``ref`` from it."""

    async def unsubscribe(self, ref: ActorRef, pattern: str | None) -> None:
        """End ``ref``'s durable subscriptions to ``pattern`` (all for ``None``)."""


class Transport(Protocol):
    """A system's connection to its cluster (one per ``ActorSystem`` with a cluster)."""

    @property
    def cluster(self) -> Cluster:
        """The membership view published as ``system.cluster``."""

    @property
    def durables(self) -> DurableEvents:
        """This node's durable events (streams, durable publish and subscriptions)."""

    async def start(self) -> None:
        """Connect, subscribe, start heartbeats; returns once this node can be reached."""

    async def close(self) -> None:
        """Leave the cluster (a last ``left`` announcement) and disconnect. Idempotent."""

    def remote_ref(self, node: str, path: str) -> ActorRef:
        """A ref to the actor at ``path`` on ``node`` (see ``ActorSystem.remote_ref``)."""

    async def serve_pool(self, path: str, durable: DurablePool | str | None = None) -> PoolServing:
        """Join the queue group of the cluster pool at ``path``: this node's pool there gets
        its share of the messages sent to the pool through any node. For a ``durable``
        pool, create or update its work-queue stream and bind its shared consumer instead
        (raises ``JetStreamUnavailable`` on a server without JetStream)."""

    async def declare_pool(self, durable: DurablePool) -> None:
        """Create or update the durable pool's work-queue stream.

        Raises:
            JetStreamUnavailable: the server runs without JetStream or is older than 2.10.
            JetStreamError: the server refused the stream's settings.
        """

    def pool_ref(self, path: str, durable: DurablePool | None = None) -> ActorRef:
        """A ref to the cluster pool at ``path`` (see ``ActorSystem.cluster_pool``)."""

    def subscribers_of(self, topic: str) -> tuple[ActorRef, ...]:
        """The subscribers of ``topic`` the local bus does not know: this node's durable
        subscribers, then every other member's bus and durable subscribers as that member
        last told (refs to remote actors). Members declared down are left out.

        Raises ``TypeError`` or ``ValueError`` for an invalid topic."""

    def pool_routees(self, path: str, rotate: bool) -> tuple[ActorRef, ...]:
        """Every routee of the cluster pool at ``path``: this node's (``rotate``: from the
        next one in round-robin turn) when it serves the pool, then those of every other
        member serving it, as that member last told (refs to remote actors)."""
