"""The kernel side of a cluster, free of any transport: ``ClusterConfig``, membership from
heartbeats (a pure state machine), the ``Cluster`` view, ``RemoteActorRef`` and the
``Transport`` seam. Built on the core only; the NATS transport (``actors.remote``) is above
the system facade and imported only when a system is given a cluster.
"""
