"""``NodeLink``: what the parts of one node share: its name and incarnation, the NATS
connection, the outgoing queue, the subjects, the codec and the refs on the wire.

Subjects, under the per-system prefix ``actors.<system>``:

- ``<prefix>.a.<node>.<path tokens>``: messages for an actor (tell, ask, stop, kill); the
  subject mirrors the actor's path, so NATS permissions can be given per subtree.
- ``<prefix>.c.<node>``: control frames for a node (death watch, "you were declared down").
- ``<prefix>.members``: heartbeats and leave announcements.
- ``<prefix>.r.<node>.<uid>.<n>``: replies to this node's asks.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING, Any

import msgspec
from nats.aio.client import Client
from nats.aio.msg import Msg

from actors._cluster._cluster import Cluster
from actors._cluster._durable_pool import DurablePool
from actors._cluster._membership import Membership
from actors._cluster._pool_ref import ClusterPoolRef
from actors._cluster._remote_ref import RemoteActorRef
from actors._core._log import log_limited, logger
from actors._core._ref import ActorRef
from actors.remote._expiries import Expiries
from actors.remote._outbox import Outbox
from actors.remote._subjects import escape_path
from actors.remote._wire import Codec, Frame, Heartbeat, WireRef, decode_frame, encode_frame

if TYPE_CHECKING:
    from actors._cluster._config import ClusterConfig
    from actors._cluster._pool_ref import PoolEndpoint
    from actors._cluster._transport import RemoteEndpoint
    from actors._system._system import ActorSystem

__all__ = ["NodeLink"]

# Actor subjects computed (escaping a path costs more than the rest of a tell), cleared whole
# when full.
_SUBJECT_CACHE = 65_536


class NodeLink:
    """The state and plumbing the parts of a ``NatsNode`` share (private). ``endpoint`` is
    what the ``RemoteActorRef``\\ s made here delegate to (the node)."""

    def __init__(self, system: ActorSystem, config: ClusterConfig, endpoint: RemoteEndpoint):
        self.system = system
        self.config = config
        self.endpoint = endpoint
        self.node = config.node
        self.incarnation = uuid.uuid4().hex
        self.prefix = f"actors.{system.name}"
        self.members_subject = f"{self.prefix}.members"
        self.replies_root = f"{self.prefix}.r."
        self.membership = Membership(config.heartbeat_timeout)
        self.cluster = Cluster(self.node, self.membership)
        self.cluster.incarnation = self.incarnation
        self.codec = Codec(config.messages, self.encode_ref, self.decode_ref)
        self.nc: Client | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.expiries: Expiries | None = None
        self.outbox = Outbox(self.node, self.lost)
        self.send = self.outbox.send
        self.tasks: set[asyncio.Task[None]] = set()
        self._subjects: dict[tuple[str, str], str] = {}
        # What the ClusterPoolRefs decoded here delegate to (the node's PoolLink sets it).
        self.pools: PoolEndpoint | None = None

    def connected(self) -> bool:
        nc = self.nc
        return nc is not None and nc.is_connected

    def lost(self, why: str) -> None:
        self.cluster.tells_lost += 1
        log_limited("warning", "cluster.tell_lost", self.node, node=self.node, why=why)

    def spawn_task(self, coroutine: Any, name: str) -> None:
        assert self.loop is not None
        task = self.loop.create_task(coroutine, name=f"cluster {self.node} {name}")
        self.tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error(
                "cluster.task_failed",
                node=self.node,
                task=task.get_name(),
                exc_info=task.exception(),
            )

    # ------------------------------------------------------------------ subjects

    def actor_subject(self, node: str, path: str) -> str:
        key = (node, path)
        subject = self._subjects.get(key)
        if subject is None:
            if len(self._subjects) >= _SUBJECT_CACHE:
                self._subjects.clear()
            subject = self._subjects[key] = f"{self.prefix}.a.{node}.{escape_path(path)}"
        return subject

    def control_subject(self, node: str) -> str:
        return f"{self.prefix}.c.{node}"

    def send_control(self, node: str, frame: Frame) -> None:
        if self.connected():
            self.send(self.control_subject(node), encode_frame(frame))

    def heartbeat(self) -> Heartbeat:
        return Heartbeat(self.node, self.incarnation)

    # ------------------------------------------------------------------ refs on the wire

    def encode_ref(self, ref: ActorRef) -> WireRef:
        if isinstance(ref, RemoteActorRef):
            return WireRef(ref._node, ref._incarnation, ref._path)
        if isinstance(ref, ClusterPoolRef):
            # No node (a node name is never empty): the pool every node addresses alike; a
            # durable pool's name in place of the incarnation.
            durable = ref.durable
            return WireRef("", "" if durable is None else durable.name, ref.path)
        return WireRef(self.node, self.incarnation, ref.path)

    def decode_ref(self, wire: WireRef) -> ActorRef:
        if not wire.node and self.pools is not None:
            # A durable pool's settings stay those its serving nodes gave its stream.
            durable = DurablePool(name=wire.incarnation) if wire.incarnation else None
            return ClusterPoolRef(self.pools, wire.path, durable)
        if wire.node == self.node and wire.incarnation == self.incarnation:
            local = self.system.lookup(wire.path)
            if local is not None:
                return local
        return RemoteActorRef(self.endpoint, wire.node, wire.incarnation, wire.path)

    # ------------------------------------------------------------------ incoming frames

    def undecodable(self, data: bytes, error: BaseException, where: str) -> None:
        self.cluster.undecodable += 1
        self.system.dead_letters.record(data, None, "undecodable", error)
        log_limited(
            "warning",
            "cluster.undecodable",
            self.node,
            node=self.node,
            subject=where,
            size=len(data),
            error=repr(error),
        )

    def unexpected(self, msg: Msg, frame: Frame) -> None:
        self.undecodable(msg.data, TypeError(f"unexpected {type(frame).__name__}"), msg.subject)

    def decode(self, msg: Msg) -> Frame | None:
        self.cluster.frames_received += 1
        data = msg.data
        try:
            return decode_frame(data)
        except (msgspec.DecodeError, ValueError, TypeError) as error:
            self.undecodable(data, error, msg.subject)
            return None
