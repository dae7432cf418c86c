"""``RemoteActorRef``: a ref to an actor on another node of the cluster."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from actors._core._errors import ActorError
from actors._core._ref import ActorRef

if TYPE_CHECKING:
    # cycle: typing only; a remote ref holds the transport that carries its messages, which
    # makes remote refs.
    from actors._cluster._transport import RemoteEndpoint
    from actors._core._cell import ActorCell
    from actors._core._mailbox import MailboxStatistics

__all__ = ["RemoteActorRef"]


class RemoteActorRef(ActorRef):
    """A ref to the actor at ``path`` on cluster node ``node``, in one incarnation of that
    node (returned by ``ActorSystem.remote_ref``, and what a ref sent inside a message from
    another node arrives as).

    The API is the local one (``tell``, ``tell_nowait``, ``ask``, ``stop``, ``kill``,
    ``wait_stopped``, ``path``, ``name``, ``is_alive``) plus ``node`` and ``incarnation``;
    the semantics differ where a network is in between (see the semantics page): a tell is
    at-most-once and never waits for the network or for room in the remote mailbox (the
    remote node applies the mailbox's overflow policy), an ask fails fast with
    ``NodeUnreachable`` when the node is gone. A ref names one incarnation of the node:
    when the node comes back as a new incarnation, this ref is terminated (watchers get
    ``Terminated(reason="node_lost")``), never re-pointed.

    Two remote refs are equal when node, incarnation and path are.
    """

    __slots__ = ("_endpoint", "_incarnation", "_node", "_path")

    def __init__(self, endpoint: RemoteEndpoint, node: str, incarnation: str, path: str) -> None:
        self._endpoint = endpoint
        self._node = node
        self._incarnation = incarnation
        self._path = path

    def __repr__(self) -> str:
        return f"<RemoteActorRef {self._node}:{self._path}>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RemoteActorRef):
            return NotImplemented
        return (self._node, self._incarnation, self._path) == (
            other._node,
            other._incarnation,
            other._path,
        )

    def __hash__(self) -> int:
        return hash((self._node, self._incarnation, self._path))

    @property
    def node(self) -> str:
        """The name of the node the actor lives on."""
        return self._node

    @property
    def incarnation(self) -> str:
        """The id of the node's start this ref belongs to."""
        return self._incarnation

    @property
    def path(self) -> str:
        """The actor's path on its node, for example ``/payments``."""
        return self._path

    @property
    def name(self) -> str:
        """The last segment of the path."""
        return self._path.rsplit("/", 1)[-1]

    @property
    def is_alive(self) -> bool:
        """As far as this node knows: False once the actor was seen to stop (it was watched)
        or its node was declared down or came back as a new incarnation."""
        return self._endpoint.is_alive(self)

    async def tell(
        self,
        message: Any,
        *,
        timeout: float | None = None,
        correlation_id: int | str | None = None,
    ) -> None:
        """Send ``message`` to the remote actor, at most once; returns once it is queued for
        the network (never waits for the network or the remote mailbox, so ``timeout`` has
        nothing to bound). Inside a handler the message inherits the handled message's
        correlation id unless ``correlation_id`` is given.

        Raises:
            SerializationError: the message's type is not registered or cannot be encoded;
                nothing was sent.
        """
        self._endpoint.tell(self, message, correlation_id)

    def tell_nowait(self, message: Any, *, correlation_id: int | str | None = None) -> None:
        """As ``tell``: a remote tell never waits.

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
        """Send ``message`` and wait for the remote handler's return value.

        Raises:
            ActorFailed: the remote handler raised; ``remote_type``, ``remote_message`` and
                ``remote_traceback`` describe its exception (it is not re-created here).
            ActorStopped: the node is up but has no live actor at this path (or it stopped
                before handling the message).
            NodeUnreachable: the node is gone (nothing answers for it), was declared down
                while waiting, or this node is not connected to NATS.
            AskTimeout: no reply within ``timeout``.
            MailboxFull: the remote mailbox was full (whatever its overflow policy).
            SerializationError: the message cannot be encoded; nothing was sent.
        """
        return await self._endpoint.ask(self, message, timeout, correlation_id)

    async def stop(self, timeout: float | None = 5.0) -> None:
        """Stop the remote actor gracefully (on its node, within ``timeout``) and wait until
        it stopped. Returns at once when the node is already gone.

        Raises:
            AskTimeout: the node did not confirm the stop within ``timeout`` plus a margin.
        """
        await self._endpoint.stop(self, timeout)

    def kill(self) -> None:
        """Ask the remote node to kill the actor, without waiting (at-most-once)."""
        self._endpoint.kill(self)

    async def wait_stopped(self) -> None:
        """Wait until the remote actor stopped for good, or its node was declared down."""
        await self._endpoint.wait_stopped(self)

    def statistics(self) -> MailboxStatistics:
        """Not available for a remote actor.

        Raises:
            ActorError: always; ask the actor's own node (``lookup(path).statistics()``).
        """
        raise ActorError(
            "the mailbox statistics of a remote actor live on its node; read them there",
            path=self._path,
        )

    def _local_cell(self, call: str) -> ActorCell:
        raise TypeError(
            f"{call} needs a local ActorRef; got remote ref {self._node}:{self._path}"
            " (only an actor of this node can be used there)"
        )

    def _watched_by(self, watcher: ActorCell) -> None:
        self._endpoint.watch(self, watcher)

    def _unwatched_by(self, watcher: ActorCell) -> None:
        self._endpoint.unwatch(self, watcher)
