"""Remote actors over NATS: the transport behind ``ActorSystem(..., cluster=ClusterConfig(...))``.

This subpackage imports ``nats`` (the ``cluster`` extra), so the kernel imports it only when
a system is given a cluster; nothing here is public API (the public names are in
``actors``: ``ClusterConfig``, ``RemoteActorRef``, ``Cluster``, ``NodeUnreachable``, ...).
"""

from actors.remote._node import NatsNode

__all__ = ["NatsNode"]
