"""``NatsNode``: one ``ActorSystem``'s membership of a cluster, over NATS.

The node connects, subscribes and leaves; its parts do the rest, sharing a ``NodeLink``
(name, incarnation, connection, outgoing queue, subjects, codec): ``Outbound`` (tells and
asks to other nodes, and their answers), ``Inbound`` (frames for local actors),
``DeathWatch`` (watches across nodes) and ``MemberLink`` (heartbeats and membership).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from actors._cluster._cluster import Cluster
from actors._cluster._durable_pool import durable_pool
from actors._cluster._remote_ref import RemoteActorRef
from actors._core._cell import ActorCell
from actors._core._errors import ActorStopped, NodeUnreachable
from actors._core._log import log_limited, logger
from actors._core._ref import ActorRef
from actors._routing._topics import TopicTrie
from actors.remote._cluster_bus import ClusterBus
from actors.remote._connect import connect
from actors.remote._deathwatch import DeathWatch
from actors.remote._durable import Durables
from actors.remote._durable_pools import DurablePools, DurablePoolServing
from actors.remote._expiries import Expiries
from actors.remote._flush import flush
from actors.remote._inbound import Inbound
from actors.remote._link import NodeLink
from actors.remote._members import MemberLink
from actors.remote._outbound import Outbound
from actors.remote._pools import PoolLink, PoolServing
from actors.remote._wire import Leave, Stop, encode_frame

if TYPE_CHECKING:
    from actors._cluster._config import ClusterConfig
    from actors._cluster._durable_pool import DurablePool
    from actors._system._system import ActorSystem

__all__ = ["NatsNode"]


class NatsNode:
    """The NATS transport of one ``ActorSystem`` (private; see ``actors._transport``)."""

    def __init__(self, system: ActorSystem, config: ClusterConfig) -> None:
        self._system = system
        self._config = config
        self.node = config.node
        self._link = link = NodeLink(system, config, self)
        self._outbound = Outbound(link)
        self._inbound = Inbound(link)
        self._bus = bus = ClusterBus(link)
        self._members = MemberLink(
            link, self._node_down, self._rejoined, bus.member_up, bus.interest_of
        )
        self._deathwatch = DeathWatch(link, self._inbound.local_cell, self._members.rejoin)
        self.durables = Durables(system, config.streams, link.codec)
        bus.durable_subscriptions = self.durables.subscriptions
        self.durables.changed = bus.subscribers_changed
        self._closed = False
        self._durable_pools = DurablePools(link, self.durables, self._inbound, self._outbound)
        self._pools = PoolLink(link, self._inbound, self._outbound, self._durable_pools)
        bus.served_pools = self._pools.served
        self._pools.changed = bus.subscribers_changed

    @property
    def cluster(self) -> Cluster:
        return self._link.cluster

    @property
    def incarnation(self) -> str:
        """The id of this node's current start (a new one after a rejoin)."""
        return self._link.incarnation

    async def serve_pool(
        self, path: str, durable: DurablePool | str | None = None
    ) -> PoolServing | DurablePoolServing:
        durable = durable_pool(durable)  # Pool.factory(..., durable="name") in a tree
        if durable is not None:
            ref = self._system.lookup(path)
            if ref is None:
                raise ActorStopped(f"no pool at {path} to serve the durable pool")
            return await self._durable_pools.serve(ref, durable)
        return await self._pools.serve(path)

    async def declare_pool(self, durable: DurablePool) -> None:
        await self._durable_pools.declare(durable)

    def pool_ref(self, path: str, durable: DurablePool | None = None) -> ActorRef:
        return self._pools.pool_ref(path, durable)

    def subscribers_of(self, topic: str) -> tuple[ActorRef, ...]:
        local: TopicTrie[ActorRef] = TopicTrie()
        for pattern, ref in self.durables.subscriptions():
            local.add(pattern, ref)
        return (*local.match(topic), *self._bus.subscribers_of(topic))

    def pool_routees(self, path: str, rotate: bool) -> tuple[ActorRef, ...]:
        local = self._pools.served(rotate).get(path, ())
        return (*local, *self._bus.pool_routees(path))

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        link = self._link
        loop = link.loop = asyncio.get_running_loop()
        link.expiries = Expiries(loop)
        # Reconnection retries without end once connected; the first connection is bounded
        # and ends at once when the server refuses the credentials or TLS.
        link.nc = await connect(
            self._config,
            self._on_error,
            allow_reconnect=True,
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.2,
            disconnected_cb=self._on_disconnected,
            reconnected_cb=self._on_reconnected,
            # Every subject is built here from checked node names and escaped paths.
            skip_subject_validation=True,
        )
        nc = link.nc
        try:
            await self.durables.start(nc)
        except BaseException:
            # Broad on purpose, and re-raised: whatever ends the join here (a cancellation
            # too), the connection is closed first, so no NATS client is left running.
            await nc.close()
            raise
        prefix = link.prefix
        outbound = self._outbound
        await nc.subscribe(f"{prefix}.a.{self.node}.>", cb=self._inbound.on_actor_frame)
        await nc.subscribe(f"{prefix}.c.{self.node}", cb=self._deathwatch.on_control_frame)
        await nc.subscribe(link.members_subject, cb=self._members.on_member_frame)
        await nc.subscribe(f"{outbound.reply_prefix}.*", cb=outbound.on_reply)
        await nc.subscribe(outbound.reply_prefix, cb=outbound.on_replies)
        await flush(nc)
        self._deathwatch.start()
        link.spawn_task(link.outbox.run(nc), "writer")
        link.spawn_task(self._members.heartbeat_loop(), "heartbeats")
        link.send(link.members_subject, encode_frame(link.heartbeat()))
        self._bus.start(nc)
        del loop
        logger.info("cluster.joined", node=self.node, incarnation=link.incarnation)

    async def close(self) -> None:
        link = self._link
        if self._closed or link.nc is None:
            self._closed = True
            return
        self._closed = True
        self._bus.close()
        self._deathwatch.close()
        self._outbound.fail_all(
            lambda _: ActorStopped(f"node {self.node} is shutting down", path=None), forget=False
        )
        await self.durables.close()
        link.send(link.members_subject, encode_frame(Leave(self.node, link.incarnation)))
        if link.connected():
            await link.outbox.drain()
        self._members.close()
        assert link.expiries is not None
        link.expiries.close()
        for task in list(link.tasks):
            task.cancel()
        if link.tasks:
            await asyncio.wait(link.tasks, timeout=1.0)
        nc = link.nc
        try:
            if nc.is_connected:
                await flush(nc, timeout=1)
        except Exception as error:  # the server may be gone; leaving is best effort
            logger.warning("cluster.flush_failed", node=self.node, error=repr(error))
        await nc.close()
        self._deathwatch.node_lost()
        logger.info("cluster.left", node=self.node, incarnation=link.incarnation)

    async def _on_error(self, error: Exception) -> None:
        log_limited("warning", "cluster.nats_error", self.node, node=self.node, error=repr(error))

    async def _on_disconnected(self) -> None:
        if self._closed or self._link.nc is None:
            return  # our own close, or a first connection that failed
        logger.warning("cluster.disconnected", node=self.node)
        self._outbound.fail_all(
            lambda node: NodeUnreachable(
                f"lost the connection to NATS while asking {node}", node=node
            ),
            forget=True,
        )

    async def _on_reconnected(self) -> None:
        logger.info("cluster.reconnected", node=self.node)
        link = self._link
        link.send(link.members_subject, encode_frame(link.heartbeat()))
        self._bus.reconnected()

    def _node_down(self, node: str, incarnation: str) -> None:
        self._outbound.fail_asks_to(node, "was declared down")
        self._deathwatch.node_down(node, incarnation)
        self._bus.member_down(node, incarnation)

    def _rejoined(self) -> None:
        self._deathwatch.forget_watchers()

    # ------------------------------------------------------------------ RemoteEndpoint

    def tell(self, ref: RemoteActorRef, message: Any, correlation_id: int | str | None) -> None:
        self._outbound.tell(ref, message, correlation_id)

    async def ask(
        self,
        ref: RemoteActorRef,
        message: Any,
        timeout: float | None,
        correlation_id: int | str | None,
    ) -> Any:
        return await self._outbound.ask(ref, message, timeout, correlation_id)

    async def stop(self, ref: RemoteActorRef, timeout: float | None) -> None:
        frame = Stop(ref._path, ref._incarnation, timeout)
        margin = None if timeout is None else timeout + max(1.0, self._config.heartbeat_timeout)
        try:
            await self._outbound.request(ref, encode_frame(frame), margin, "Stop", 0)
        except NodeUnreachable:
            return
        self._deathwatch.terminate(ref, "stopped")

    def kill(self, ref: RemoteActorRef) -> None:
        self._outbound.kill(ref)

    def is_alive(self, ref: RemoteActorRef) -> bool:
        return self._deathwatch.is_alive(ref)

    async def wait_stopped(self, ref: RemoteActorRef) -> None:
        await self._deathwatch.wait_stopped(ref)

    def watch(self, ref: RemoteActorRef, watcher: ActorCell) -> None:
        self._deathwatch.watch(ref, watcher)

    def unwatch(self, ref: RemoteActorRef, watcher: ActorCell) -> None:
        self._deathwatch.unwatch(ref, watcher)

    # ------------------------------------------------------------------ Transport

    def remote_ref(self, node: str, path: str) -> ActorRef:
        if not isinstance(path, str) or not path.startswith("/") or len(path) < 2:
            raise ValueError(f"an actor path starts with '/' and names an actor, got {path!r}")
        link = self._link
        if node == self.node:
            local = self._system.lookup(path)
            if local is not None:
                return local
            return RemoteActorRef(self, node, link.incarnation, path)
        incarnation = link.membership.incarnation_of(node)
        if incarnation is None:
            raise NodeUnreachable(
                f"node {node!r} is not a member of the cluster (yet): wait for it with"
                f" `await system.cluster.wait_for({node!r})`",
                node=node,
                path=path,
            )
        return RemoteActorRef(self, node, incarnation, path)
