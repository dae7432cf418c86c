"""Joining a cluster: the ``ClusterConfig`` a system was given, its NATS transport started
with the system and closed at its shutdown. ``ActorSystem`` holds one ``ClusterJoin``; its
``start``, ``cluster``, ``remote_ref`` and ``cluster_pool`` reach the transport through it.

Nothing of the remote machinery is imported unless the system was given a cluster."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # cycle: typing only; the transport is built for the system that holds this join.
    from actors._cluster._config import ClusterConfig
    from actors._cluster._transport import Transport
    from actors._system._system import ActorSystem

__all__ = ["ClusterJoin", "check_cluster"]


def check_cluster(name: str, cluster: object) -> None:
    """Check that a system named ``name`` can join with ``cluster``.

    Raises:
        TypeError: ``cluster`` is not a ``ClusterConfig``.
        ValueError: ``name`` is not one NATS subject token.
    """
    from actors._cluster._config import ClusterConfig, check_subject_token

    if not isinstance(cluster, ClusterConfig):
        raise TypeError(f"cluster must be a ClusterConfig, got {cluster!r}")
    check_subject_token("the name of a cluster's system", name)


class ClusterJoin:
    """A system's membership of its cluster: the configuration, and the transport once
    joined (``None`` before, and always without a cluster)."""

    __slots__ = ("config", "transport")

    def __init__(self, config: ClusterConfig | None) -> None:
        self.config = config
        self.transport: Transport | None = None

    async def start(self, system: ActorSystem) -> None:
        """Join the cluster, unless there is none or ``system`` already joined (see
        ``ActorSystem.start`` for what it raises)."""
        if self.config is not None and self.transport is None:
            # Imported here, not at the top: the remote machinery needs the optional `nats`
            # package, which an in-process system must never import.
            from actors.remote import NatsNode

            transport = NatsNode(system, self.config)
            await transport.start()
            self.transport = transport

    def require(self, system: ActorSystem) -> Transport:
        """The transport, for a call that needs the cluster.

        Raises RuntimeError when ``system`` has no cluster or has not joined it yet."""
        transport = self.transport
        if transport is None:
            if self.config is None:
                raise RuntimeError(f"{system!r} has no cluster: pass cluster=ClusterConfig(...)")
            raise RuntimeError(
                f"{system!r} has not joined its cluster: use `async with` or start()"
            )
        return transport

    async def leave(self) -> None:
        """Close the transport at shutdown (after every application actor stopped)."""
        if self.transport is not None:
            await self.transport.close()
