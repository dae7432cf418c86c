"""Pools across nodes: the NATS queue group of a pool's subject spreads its messages over
the nodes that serve it.

Every node that runs a pool at ``path`` with ``cluster=True`` subscribes
``<prefix>.p.<path tokens>`` in the queue group ``pool``: NATS hands each message to one
member of the group, at most once. The receiving node delivers it to its own pool at that
path, which routes it to one of its routees; an ask carries NATS's reply subject, and the
routee's return value goes back there. A node that is lost leaves the group with its
connection, so from then on the others get all the work. Nothing here is durable: a message
held by a node that is lost is lost with it (an ask to it ends with ``AskTimeout``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec
import nats.errors
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from actors._cluster._pool_ref import ClusterPoolRef
from actors._core._errors import (
    ActorError,
    ActorFailed,
    ActorStopped,
    AskTimeout,
    MailboxFull,
    NodeUnreachable,
    SerializationError,
)
from actors._core._log import logger
from actors._core._ref import ActorRef
from actors._routing._pool import Pool
from actors.remote._flush import flush, leave
from actors.remote._subjects import escape_path
from actors.remote._wire import Ask, Batch, Failure, Reply, Tell, decode_frame, encode_frame

if TYPE_CHECKING:
    from collections.abc import Callable

    # cycle: typing only; durable pools answer asks with this module's error_for.
    from actors._cluster._durable_pool import DurablePool
    from actors.remote._durable_pools import DurablePools
    from actors.remote._inbound import Inbound
    from actors.remote._link import NodeLink
    from actors.remote._outbound import Outbound

__all__ = ["PoolLink", "PoolServing", "error_for"]

# The queue group every serving node joins; queue groups are per subject, so one name fits.
_QUEUE = "pool"
# nats-py's request needs a timeout; an ask with none waits this long (a year).
_NO_LIMIT = 365 * 24 * 3600.0


class PoolServing:
    """This node's membership of one pool's queue group; ``close`` leaves it."""

    def __init__(self, link: PoolLink, path: str, subscription: Subscription) -> None:
        self._link = link
        self.path = path
        self._subscription = subscription
        self._closed = False

    async def close(self) -> None:
        """Leave the queue group: the other nodes get the pool's messages from now on.
        Idempotent; a no-op once the connection is gone."""
        if self._closed:
            return
        self._closed = True
        if self._link.serving.get(self.path) is self:
            del self._link.serving[self.path]
            if self._link.changed is not None:
                self._link.changed()
        try:
            await self._link.leave(self._subscription)
        except nats.errors.Error as error:  # closed or draining: the server forgets it anyway
            logger.info("cluster.pool_unsubscribe", path=self.path, error=repr(error))


class PoolLink:
    """The pools of one node: serving them (queue-group subscriptions) and sending to them
    (``ClusterPoolRef``). Private; ``NatsNode`` holds one. A message a serving node receives
    is delivered by its ``Inbound``, as a frame for a local actor is; a message sent carries
    the ids ``Outbound`` gives any remote message."""

    def __init__(
        self, link: NodeLink, inbound: Inbound, outbound: Outbound, durable: DurablePools
    ) -> None:
        self._link = link
        self._inbound = inbound
        self._outbound = outbound
        self._durable = durable
        self.serving: dict[str, PoolServing] = {}
        # Called when this node starts or stops serving a pool (the cluster bus tells).
        self.changed: Callable[[], None] | None = None
        link.pools = self  # a ClusterPoolRef inside a message arrives as one

    async def leave(self, subscription: Subscription) -> None:
        """Leave a queue group: once this returns the server routes nothing more to this
        node, and what it routed here before was delivered (a stopping pool answers it
        with ``ActorStopped``), not dropped."""
        nc = self._link.nc
        if nc is not None and nc.is_connected:
            await leave(nc, subscription)
        else:
            await subscription.unsubscribe()

    def subject(self, path: str) -> str:
        return f"{self._link.prefix}.p.{escape_path(path)}"

    # ------------------------------------------------------------------ serving

    async def serve(self, path: str) -> PoolServing:
        """Join the queue group of the pool at ``path`` (its local pool is running).

        Raises:
            NodeUnreachable: not connected to NATS.
        """
        link = self._link
        stale = self.serving.get(path)
        if stale is not None:
            # Left behind by a pool that was killed (no on_stop): a new pool has its path.
            await stale.close()
        nc = link.nc
        if nc is None or not nc.is_connected:
            raise NodeUnreachable(
                f"not connected to NATS; cannot serve the cluster pool {path}", node=link.node
            )

        async def on_message(msg: Msg) -> None:
            self._on_message(path, msg)

        subscription = await nc.subscribe(self.subject(path), queue=_QUEUE, cb=on_message)
        await flush(nc)  # serving once this returns: the server knows the subscription
        serving = self.serving[path] = PoolServing(self, path, subscription)
        if self.changed is not None:
            self.changed()
        return serving

    def served(self, rotate: bool = False) -> dict[str, tuple[ActorRef, ...]]:
        """The routees of the pools this node serves, by pool path (``rotate``: each in
        the order tail-chopping asks them, see ``Pool.rotation``)."""
        served = {}
        for path in self.serving:
            cell = self._link.system._registry.get(path)
            pool = None if cell is None else cell.instance
            if isinstance(pool, Pool):
                served[path] = pool.rotation() if rotate else pool.routees
        return served

    def _on_message(self, path: str, msg: Msg) -> None:
        link = self._link
        inbound = self._inbound
        if path not in link.system._registry:
            # The pool is gone without leaving the group (it was killed): leave now; this
            # message becomes a dead letter below (an ask gets ActorStopped at once).
            serving = self.serving.get(path)
            if serving is not None:
                link.spawn_task(serving.close(), f"leave pool {path}")
        frame = link.decode(msg)
        if frame is None:
            if msg.reply:
                inbound._answer_failure(msg.reply, "undecodable", "DecodeError", "bad frame", "")
            return
        frames = [frame]
        if isinstance(frame, Batch):
            frames = []
            for raw in frame.frames:
                try:
                    frames.append(decode_frame(raw))
                except (msgspec.DecodeError, ValueError, TypeError) as error:
                    link.undecodable(bytes(raw), error, msg.subject)
        for inner in frames:
            if not isinstance(inner, Tell | Ask):
                link.unexpected(msg, inner)
                continue
            # Addressed to "the pool at path on whichever node got it": this node's pool.
            inner.target = path
            inner.target_incarnation = link.incarnation
            try:
                inbound._deliver(inner, msg)
            except Exception as error:  # never let one frame kill the subscription
                logger.error("cluster.delivery_failed", node=link.node, exc_info=error)

    # ------------------------------------------------------------------ sending

    def pool_ref(self, path: str, durable: DurablePool | None = None) -> ClusterPoolRef:
        if not isinstance(path, str) or not path.startswith("/") or len(path) < 2:
            raise ValueError(f"a pool's path starts with '/' and names the pool, got {path!r}")
        return ClusterPoolRef(self, path, durable)

    def is_connected(self) -> bool:
        return self._link.connected()

    async def send(
        self, ref: ClusterPoolRef, message: Any, correlation_id: int | str | None
    ) -> None:
        if ref.durable is not None:
            await self._durable.tell(ref, message, correlation_id)
        else:
            self.tell(ref, message, correlation_id)

    def tell(self, ref: ClusterPoolRef, message: Any, correlation_id: int | str | None) -> None:
        if ref.durable is not None:
            self._durable.tell_nowait(ref, message, correlation_id)
            return
        link = self._link
        name, body = link.codec.encode(message)
        message_id, correlation, causation, sender, trace, left = self._outbound._origin(
            correlation_id
        )
        frame = Tell(
            ref.path, "", name, body, message_id, correlation, causation, sender, trace, left
        )
        link.cluster.tells_sent += 1
        if not link.connected():
            link.lost("not connected to NATS")
            return
        # One NATS message per tell (never batched): the queue group spreads messages, so a
        # batch would land on one node whole.
        link.send(self.subject(ref.path), encode_frame(frame))

    async def ask(
        self,
        ref: ClusterPoolRef,
        message: Any,
        timeout: float | None,
        correlation_id: int | str | None,
    ) -> Any:
        if ref.durable is not None:
            return await self._durable.ask(ref, message, timeout, correlation_id)
        if timeout is not None and timeout <= 0:
            raise ValueError(f"ask timeout must be > 0 or None, got {timeout!r}")
        link = self._link
        name, body = link.codec.encode(message)
        message_id, correlation, causation, sender, trace, left = self._outbound._origin(
            correlation_id
        )
        if left is not None:
            # Asked from a handler whose message has a deadline: wait no longer than it has.
            if left <= 0:
                raise AskTimeout(
                    "the deadline inherited from the message being handled has passed",
                    path=ref.path,
                    message_type=type(message).__name__,
                    correlation_id=correlation,
                )
            timeout = left if timeout is None or left < timeout else timeout
        frame = Ask(
            ref.path,
            "",
            name,
            body,
            message_id,
            correlation,
            causation,
            sender,
            timeout,
            "",  # the answer goes to the NATS reply subject of the request
            trace,
        )
        context: dict[str, Any] = {
            "path": ref.path,
            "message_type": type(message).__name__,
            "correlation_id": correlation,
        }
        nc = link.nc
        if nc is None or not nc.is_connected:
            raise NodeUnreachable("not connected to NATS", node=link.node, **context)
        link.cluster.asks_sent += 1
        try:
            msg = await nc.request(
                self.subject(ref.path),
                encode_frame(frame),
                timeout=_NO_LIMIT if timeout is None else timeout,
            )
        except nats.errors.NoRespondersError:
            raise ActorStopped("no node of the cluster serves this pool", **context) from None
        except nats.errors.TimeoutError:
            raise AskTimeout(
                f"no reply from the cluster pool within {timeout}s", **context
            ) from None
        except nats.errors.Error as error:
            raise NodeUnreachable(
                f"cannot ask through NATS: {error!r}", node=link.node, **context
            ) from error
        try:
            answer = decode_frame(msg.data)
        except (msgspec.DecodeError, ValueError, TypeError) as error:
            raise SerializationError(f"cannot decode the answer: {error}", **context) from error
        return answer_value(link, answer, message, context)


def answer_value(link: NodeLink, answer: object, message: Any, context: dict[str, Any]) -> Any:
    """What an ask through a cluster pool returns for the ``answer`` frame that came back:
    the decoded reply, or the error it stands for raised.

    Raises:
        SerializationError: the reply cannot be decoded.
        ActorError: the routee's failure (``error_for``), or an unexpected frame.
    """
    if isinstance(answer, Reply):
        try:
            return link.codec.decode(answer.message_type, answer.body)
        except (LookupError, msgspec.DecodeError) as error:
            raise SerializationError(
                f"cannot decode the reply ({answer.message_type}): {error}", **context
            ) from error
    if isinstance(answer, Failure):
        raise error_for(answer, message, context)
    raise ActorError(f"unexpected answer {type(answer).__name__}", path=context["path"])


def error_for(failure: Failure, message: Any, context: dict[str, Any]) -> ActorError:
    """The error an ask to a cluster pool raises for ``failure`` (as ``error_for`` does for
    one remote actor, without naming a node: which one answered is NATS's choice)."""
    kind = failure.kind
    if kind == "failed":
        error = ActorFailed(
            f"a routee of the cluster pool raised {failure.error_type}: {failure.message}",
            **context,
        )
        error.remote_type = failure.error_type
        error.remote_message = failure.message
        error.remote_traceback = failure.traceback
        return error
    if kind == "stopped":
        return ActorStopped(f"the pool on the chosen node is stopped: {failure.message}", **context)
    if kind == "mailbox_full":
        return MailboxFull(
            "the pool's mailbox on the chosen node is full",
            message=message,
            path=context["path"],
            correlation_id=context["correlation_id"],
        )
    if kind == "timeout":
        return AskTimeout(f"the serving node gave up: {failure.message}", **context)
    if kind == "undecodable":
        return SerializationError(
            f"the serving node could not decode the message: {failure.message}", **context
        )
    return ActorError(f"remote failure {kind}: {failure.message}", **context)
