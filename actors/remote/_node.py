"""``NatsNode``: one ``ActorSystem``'s membership of a cluster, over NATS.

Subjects, under the per-system prefix ``actors.<system>``:

- ``<prefix>.a.<node>.<path tokens>``: messages for an actor (tell, ask, stop, kill); the
  subject mirrors the actor's path, so NATS permissions can be given per subtree. A node
  subscribes ``<prefix>.a.<node>.>``: while it is up something always answers there, so a
  NATS *no responders* on an ask means the node is gone (``NodeUnreachable``), and "no such
  actor" comes back from the node itself (``ActorStopped``).
- ``<prefix>.c.<node>``: control frames for a node (death watch, "you were declared down").
- ``<prefix>.members``: heartbeats and leave announcements.
- ``<prefix>.r.<node>.<uid>.<n>``: replies to this node's asks.

Outgoing frames go through the ``Outbox`` (one queue, one writer task, in order, batched),
so a tell never waits for the network and frames from this node to one receiver stay in
send order (FIFO per sender node and receiver). While NATS is unreachable, tells are
dropped and counted (``tells_lost``: at-most-once) and asks fail at once.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import msgspec
import nats
from nats.aio.client import Client
from nats.aio.msg import Msg

from actors._cluster._cluster import MEMBER_DOWN_TOPIC, MEMBER_UP_TOPIC, Cluster
from actors._cluster._membership import MemberDown, Membership, MemberUp
from actors._cluster._remote_ref import RemoteActorRef
from actors._core._cell import ActorCell
from actors._core._envelope import NOT_TIMED, Envelope, new_envelope
from actors._core._errors import (
    ActorError,
    ActorStopped,
    AskTimeout,
    MailboxFull,
    NodeUnreachable,
    SerializationError,
)
from actors._core._log import log_limited, logger
from actors._core._messages import Overflow, Terminated
from actors._core._ref import ActorRef
from actors._core._state import STOPPED
from actors._system._system_bus import RUNTIME_PREFIX
from actors.remote._expiries import Expiries
from actors.remote._failures import error_for, failure_for
from actors.remote._outbox import BATCHABLE, PLAIN, TELL, Outbox
from actors.remote._relay import WatchRelay
from actors.remote._reply import RemoteReply
from actors.remote._subjects import escape_path
from actors.remote._watches import RemoteWatches
from actors.remote._wire import (
    Ask,
    Batch,
    Codec,
    DeclaredDown,
    Failure,
    Frame,
    Heartbeat,
    Kill,
    Leave,
    Reply,
    Stop,
    Stopped,
    Tell,
    Unwatch,
    Watch,
    WireRef,
    decode_frame,
    encode_frame,
)

if TYPE_CHECKING:
    from actors._cluster._config import ClusterConfig
    from actors._system._system import ActorSystem

__all__ = ["NatsNode"]

_RELAY_PATH = f"{RUNTIME_PREFIX}remote"
# Actor subjects computed (escaping a path costs more than the rest of a tell), cleared whole
# when full.
_SUBJECT_CACHE = 65_536


class NatsNode:
    """The NATS transport of one ``ActorSystem`` (private; see ``actors._transport``)."""

    def __init__(self, system: ActorSystem, config: ClusterConfig) -> None:
        self._system = system
        self._config = config
        self.node = config.node
        self.incarnation = uuid.uuid4().hex
        self._prefix = f"actors.{system.name}"
        self._members_subject = f"{self._prefix}.members"
        self._membership = Membership(config.heartbeat_timeout)
        self._cluster = Cluster(self.node, self._membership)
        self._cluster.incarnation = self.incarnation
        self._codec = Codec(config.messages, self._encode_ref, self._decode_ref)
        self._nc: Client | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._outbox = Outbox(self.node, self._lost)
        self._send = self._outbox.send
        self._tasks: set[asyncio.Task[None]] = set()
        self._replies_root = f"{self._prefix}.r."
        self._reply_prefix = f"{self._replies_root}{self.node}.{uuid.uuid4().hex[:12]}"
        self._tokens = itertools.count(1)
        # Pending asks of this node: token -> (reply future, target node).
        self._asks: dict[str, tuple[asyncio.Future[Frame | BaseException], str]] = {}
        self._watches = RemoteWatches(self._register_watch)
        self._relay: WatchRelay | None = None
        self._relay_cell: ActorCell | None = None
        self._closed = False
        # True from a request published from its caller's task to the end of that loop step.
        self._burst = False
        self._subjects: dict[tuple[str, str], str] = {}

    @property
    def cluster(self) -> Cluster:
        return self._cluster

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        loop = self._loop = asyncio.get_running_loop()
        self._expiries = Expiries(loop)
        try:
            # Reconnection retries without end once connected; the first connection is
            # bounded (nats-py would apply the endless retries to it too).
            self._nc = await asyncio.wait_for(
                nats.connect(
                    **self._config.connect_options(),
                    allow_reconnect=True,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=0.2,
                    error_cb=self._on_error,
                    disconnected_cb=self._on_disconnected,
                    reconnected_cb=self._on_reconnected,
                    # Every subject is built here from checked node names and escaped paths.
                    skip_subject_validation=True,
                ),
                self._config.connect_timeout * 2,
            )
        except Exception as error:
            raise NodeUnreachable(
                f"cannot connect to NATS at {', '.join(self._config.servers)}: {error!r}",
                node=self.node,
            ) from error
        nc = self._nc
        await nc.subscribe(f"{self._prefix}.a.{self.node}.>", cb=self._on_actor_frame)
        await nc.subscribe(f"{self._prefix}.c.{self.node}", cb=self._on_control_frame)
        await nc.subscribe(self._members_subject, cb=self._on_member_frame)
        await nc.subscribe(f"{self._reply_prefix}.*", cb=self._on_reply)
        await nc.subscribe(self._reply_prefix, cb=self._on_replies)
        await nc.flush()
        self._relay = relay = WatchRelay(self._relay_stopped)
        cell = ActorCell(
            self._system, None, "remote", _RELAY_PATH, lambda: relay, 1000, Overflow.BLOCK, 1.0
        )
        self._relay_cell = cell
        self._system._registry[cell.path] = cell
        cell.start_incarnation()
        self._spawn_task(self._outbox.run(nc), "writer")
        self._spawn_task(self._heartbeat_loop(), "heartbeats")
        self._send(self._members_subject, encode_frame(self._heartbeat()))
        del loop
        logger.info("cluster.joined", node=self.node, incarnation=self.incarnation)

    async def close(self) -> None:
        if self._closed or self._nc is None:
            self._closed = True
            return
        self._closed = True
        relay = self._relay
        if relay is not None:
            # Every local actor has stopped by now: tell the remote watchers of each.
            for path in list(relay.watchers):
                self._relay_stopped(path)
        if self._relay_cell is not None:
            self._relay_cell.kill()
        for entry in list(self._asks.values()):
            future = entry[0]
            if not future.done():
                future.set_result(ActorStopped(f"node {self.node} is shutting down", path=None))
        self._send(self._members_subject, encode_frame(Leave(self.node, self.incarnation)))
        if self._connected():
            await self._outbox.drain()
        self._expiries.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=1.0)
        nc = self._nc
        try:
            if nc.is_connected:
                await nc.flush(timeout=1)
        except Exception as error:  # the server may be gone; leaving is best effort
            logger.warning("cluster.flush_failed", node=self.node, error=repr(error))
        await nc.close()
        for ref in self._watches.watched():
            self._terminate(ref, "node_lost")
        logger.info("cluster.left", node=self.node, incarnation=self.incarnation)

    def _spawn_task(self, coroutine: Any, name: str) -> None:
        assert self._loop is not None
        task = self._loop.create_task(coroutine, name=f"cluster {self.node} {name}")
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error(
                "cluster.task_failed",
                node=self.node,
                task=task.get_name(),
                exc_info=task.exception(),
            )

    async def _on_error(self, error: Exception) -> None:
        log_limited("warning", "cluster.nats_error", self.node, node=self.node, error=repr(error))

    async def _on_disconnected(self) -> None:
        if self._closed:
            return  # our own close
        logger.warning("cluster.disconnected", node=self.node)
        for token, (future, node) in list(self._asks.items()):
            if not future.done():
                future.set_result(
                    NodeUnreachable(f"lost the connection to NATS while asking {node}", node=node)
                )
            self._asks.pop(token, None)

    async def _on_reconnected(self) -> None:
        logger.info("cluster.reconnected", node=self.node)
        self._send(self._members_subject, encode_frame(self._heartbeat()))

    # ------------------------------------------------------------------ outgoing

    def _connected(self) -> bool:
        nc = self._nc
        return nc is not None and nc.is_connected

    def _lost(self, why: str) -> None:
        self._cluster.tells_lost += 1
        log_limited("warning", "cluster.tell_lost", self.node, node=self.node, why=why)

    def _actor_subject(self, node: str, path: str) -> str:
        key = (node, path)
        subject = self._subjects.get(key)
        if subject is None:
            if len(self._subjects) >= _SUBJECT_CACHE:
                self._subjects.clear()
            subject = self._subjects[key] = f"{self._prefix}.a.{node}.{escape_path(path)}"
        return subject

    def _control_subject(self, node: str) -> str:
        return f"{self._prefix}.c.{node}"

    def _heartbeat(self) -> Heartbeat:
        return Heartbeat(self.node, self.incarnation)

    def _origin(
        self, correlation_id: int | str | None
    ) -> tuple[int, int | str, int | None, WireRef | None, Any]:
        """Message id, correlation id, causation id, sender and trace context of a message
        sent now: what a local message would inherit from the handler it is sent from (or
        from an ambient ``correlation_scope`` and the current span outside handlers)."""
        envelope = new_envelope(None, None, correlation_id)
        sender = envelope.sender
        wire = None if sender is None else WireRef(self.node, self.incarnation, sender.path)
        return (
            envelope.message_id,
            envelope.correlation_id,
            envelope.causation_id,
            wire,
            envelope.trace,
        )

    # ------------------------------------------------------------------ RemoteEndpoint

    def tell(self, ref: RemoteActorRef, message: Any, correlation_id: int | str | None) -> None:
        name, body = self._codec.encode(message)
        message_id, correlation, causation, sender, trace = self._origin(correlation_id)
        frame = Tell(
            ref._path,
            ref._incarnation,
            name,
            body,
            message_id,
            correlation,
            causation,
            sender,
            trace,
        )
        self._cluster.tells_sent += 1
        if not self._connected():
            self._lost("not connected to NATS")
            return
        self._send(self._actor_subject(ref._node, ref._path), encode_frame(frame), kind=TELL)

    async def ask(
        self,
        ref: RemoteActorRef,
        message: Any,
        timeout: float | None,
        correlation_id: int | str | None,
    ) -> Any:
        if timeout is not None and timeout <= 0:
            raise ValueError(f"ask timeout must be > 0 or None, got {timeout!r}")
        name, body = self._codec.encode(message)
        message_id, correlation, causation, sender, trace = self._origin(correlation_id)
        token = str(next(self._tokens))
        frame = Ask(
            ref._path,
            ref._incarnation,
            name,
            body,
            message_id,
            correlation,
            causation,
            sender,
            timeout,
            f"{self._reply_prefix}.{token}",
            trace,
        )
        answer = await self._request(
            ref,
            encode_frame(frame),
            timeout,
            type(message).__name__,
            correlation,
            token,
            BATCHABLE,
        )
        if isinstance(answer, Reply):
            try:
                return self._codec.decode(answer.message_type, answer.body)
            except (LookupError, msgspec.DecodeError) as error:
                raise SerializationError(
                    f"cannot decode the reply ({answer.message_type}): {error}",
                    path=ref._path,
                    message_type=answer.message_type,
                    correlation_id=correlation,
                ) from error
        raise error_for(answer, ref, message, correlation)

    async def _request(
        self,
        ref: RemoteActorRef,
        payload: bytes,
        timeout: float | None,
        message_type: str,
        correlation: int | str,
        token: str | None = None,
        kind: int = PLAIN,
    ) -> Reply | Failure:
        """Send a frame expecting an answer; returns the Reply or Failure frame, raises
        NodeUnreachable, AskTimeout or ActorStopped (the node is closing)."""
        node = ref._node
        if not self._connected():
            raise NodeUnreachable(
                f"not connected to NATS; cannot reach node {node!r}",
                node=node,
                path=ref._path,
                message_type=message_type,
                correlation_id=correlation,
            )
        if self._membership.incarnation_of(node) != ref._incarnation:
            raise NodeUnreachable(
                f"node {node!r} (incarnation {ref._incarnation[:8]}) is down",
                node=node,
                path=ref._path,
                message_type=message_type,
                correlation_id=correlation,
            )
        assert self._loop is not None
        if token is None:
            token = str(next(self._tokens))
        future: asyncio.Future[Frame | BaseException] = self._loop.create_future()
        self._asks[token] = (future, node)
        self._cluster.asks_sent += 1
        subject = self._actor_subject(node, ref._path)
        reply = f"{self._reply_prefix}.{token}"
        if self._outbox or self._burst:
            self._send(subject, payload, reply, kind)
        else:
            # Nothing queued ahead of it (a frame the writer already took is in the client's
            # buffer), so publishing here keeps the order and saves the writer's hop. Other
            # requests made in the same loop step queue behind it instead, to be batched.
            self._burst = True
            self._loop.call_soon(self._end_burst)
            try:
                await self._nc.publish(subject, payload, reply=reply)  # type: ignore[union-attr]
            except Exception as error:
                self._asks.pop(token, None)
                raise NodeUnreachable(
                    f"cannot publish to NATS: {error!r}",
                    node=node,
                    path=ref._path,
                    message_type=message_type,
                    correlation_id=correlation,
                ) from error
        if timeout is not None:
            self._expiries.add(timeout, self._ask_expired, token)
        try:
            answer = await future
        finally:
            self._asks.pop(token, None)
        if isinstance(answer, NodeUnreachable | ActorStopped):
            answer.path = ref._path
            answer.message_type = message_type
            answer.correlation_id = correlation
            raise answer
        if answer is None:
            raise AskTimeout(
                f"no reply from node {node!r} within {timeout}s",
                path=ref._path,
                message_type=message_type,
                correlation_id=correlation,
            )
        if isinstance(answer, Reply | Failure):
            return answer
        raise ActorError(f"unexpected answer {type(answer).__name__}", path=ref._path)

    def _end_burst(self) -> None:
        self._burst = False

    def _ask_expired(self, token: str) -> None:
        entry = self._asks.pop(token, None)
        if entry is not None and not entry[0].done():
            entry[0].set_result(None)  # type: ignore[arg-type]  # None: timed out

    async def stop(self, ref: RemoteActorRef, timeout: float | None) -> None:
        frame = Stop(ref._path, ref._incarnation, timeout)
        margin = None if timeout is None else timeout + max(1.0, self._config.heartbeat_timeout)
        try:
            await self._request(ref, encode_frame(frame), margin, "Stop", 0)
        except NodeUnreachable:
            return
        self._terminate(ref, "stopped")

    def kill(self, ref: RemoteActorRef) -> None:
        if self._connected():
            frame = Kill(ref._path, ref._incarnation)
            self._send(self._actor_subject(ref._node, ref._path), encode_frame(frame))

    def is_alive(self, ref: RemoteActorRef) -> bool:
        if self._watches.ended(ref) is not None:
            return False
        return self._membership.incarnation_of(ref._node) == ref._incarnation

    async def wait_stopped(self, ref: RemoteActorRef) -> None:
        if self.is_alive(ref):
            await self._watches.wait_stopped(ref)

    def watch(self, ref: RemoteActorRef, watcher: ActorCell) -> None:
        if not self.is_alive(ref):
            reason = self._watches.ended(ref) or "node_lost"
            watcher.deliver_notice(Terminated(ref, reason))
            return
        self._watches.watch(ref, watcher)

    def unwatch(self, ref: RemoteActorRef, watcher: ActorCell) -> None:
        self._watches.unwatch(ref, watcher)

    def _register_watch(self, ref: RemoteActorRef, watch: bool) -> None:
        kind = Watch if watch else Unwatch
        frame = kind(ref._path, ref._incarnation, self.node, self.incarnation)
        self._send_control(ref._node, frame)

    def _send_control(self, node: str, frame: Frame) -> None:
        if self._connected():
            self._send(self._control_subject(node), encode_frame(frame))

    def _terminate(self, ref: RemoteActorRef, reason: str) -> None:
        self._watches.terminate(ref, reason)

    # ------------------------------------------------------------------ refs on the wire

    def remote_ref(self, node: str, path: str) -> ActorRef:
        if not isinstance(path, str) or not path.startswith("/") or len(path) < 2:
            raise ValueError(f"an actor path starts with '/' and names an actor, got {path!r}")
        if node == self.node:
            local = self._system.lookup(path)
            if local is not None:
                return local
            return RemoteActorRef(self, node, self.incarnation, path)
        incarnation = self._membership.incarnation_of(node)
        if incarnation is None:
            raise NodeUnreachable(
                f"node {node!r} is not a member of the cluster (yet): wait for it with"
                f" `await system.cluster.wait_for({node!r})`",
                node=node,
                path=path,
            )
        return RemoteActorRef(self, node, incarnation, path)

    def _encode_ref(self, ref: ActorRef) -> WireRef:
        if isinstance(ref, RemoteActorRef):
            return WireRef(ref._node, ref._incarnation, ref._path)
        return WireRef(self.node, self.incarnation, ref.path)

    def _decode_ref(self, wire: WireRef) -> ActorRef:
        if wire.node == self.node and wire.incarnation == self.incarnation:
            local = self._system.lookup(wire.path)
            if local is not None:
                return local
        return RemoteActorRef(self, wire.node, wire.incarnation, wire.path)

    # ------------------------------------------------------------------ incoming

    def _undecodable(self, data: bytes, error: BaseException, where: str) -> None:
        self._cluster.undecodable += 1
        self._system.dead_letters.record(data, None, "undecodable", error)
        log_limited(
            "warning",
            "cluster.undecodable",
            self.node,
            node=self.node,
            subject=where,
            size=len(data),
            error=repr(error),
        )

    def _unexpected(self, msg: Msg, frame: Frame) -> None:
        self._undecodable(msg.data, TypeError(f"unexpected {type(frame).__name__}"), msg.subject)

    def _decode(self, msg: Msg) -> Frame | None:
        self._cluster.frames_received += 1
        data = msg.data
        try:
            return decode_frame(data)
        except (msgspec.DecodeError, ValueError, TypeError) as error:
            self._undecodable(data, error, msg.subject)
            return None

    async def _on_actor_frame(self, msg: Msg) -> None:
        frame = self._decode(msg)
        if frame is None:
            if msg.reply:
                self._answer_failure(msg.reply, "undecodable", "DecodeError", "bad frame", "")
            return
        if isinstance(frame, Batch):
            for raw in frame.frames:
                try:
                    inner = decode_frame(raw)
                except (msgspec.DecodeError, ValueError, TypeError) as error:
                    self._undecodable(bytes(raw), error, msg.subject)
                    continue
                if isinstance(inner, Tell | Ask):
                    self._on_frame(inner, msg)
                else:  # only tells and asks are batched
                    self._unexpected(msg, inner)
            return
        self._on_frame(frame, msg)

    def _on_frame(self, frame: Frame, msg: Msg) -> None:
        try:
            if isinstance(frame, Tell | Ask):
                self._deliver(frame, msg)
            elif isinstance(frame, Stop):
                self._spawn_task(self._stop_local(frame, msg.reply), "stop")
            elif isinstance(frame, Kill):
                cell = self._local_cell(frame.target, frame.target_incarnation)
                if cell is not None:
                    cell.kill()
            else:
                self._undecodable(
                    msg.data, TypeError(f"unexpected {type(frame).__name__}"), msg.subject
                )
        except Exception as error:  # never let one frame kill the subscription
            logger.error("cluster.delivery_failed", node=self.node, exc_info=error)

    def _local_cell(self, path: str, incarnation: str) -> ActorCell | None:
        if incarnation != self.incarnation:
            return None
        cell = self._system._registry.get(path)
        if cell is None or cell.path.startswith(RUNTIME_PREFIX):
            return None
        return cell

    def _deliver(self, frame: Tell | Ask, msg: Msg) -> None:
        try:
            message = self._codec.decode(frame.message_type, frame.body)
        except (LookupError, msgspec.DecodeError) as error:
            self._undecodable(msg.data, error, msg.subject)
            reply_to = (frame.reply or msg.reply) if isinstance(frame, Ask) else ""
            if reply_to:
                self._answer_failure(reply_to, "undecodable", type(error).__name__, str(error), "")
            return
        sender = None if frame.sender is None else self._decode_ref(frame.sender)
        cell = self._local_cell(frame.target, frame.target_incarnation)
        reply: RemoteReply | None = None
        reply_to = (frame.reply or msg.reply) if isinstance(frame, Ask) else ""
        if reply_to and isinstance(frame, Ask):
            reply = RemoteReply(self._answerer(reply_to))
            if frame.deadline is not None:
                self._expiries.add(frame.deadline, _expire, (reply, frame.target))
        if cell is None:
            self._system.dead_letters.record(message, None, "stopped")
            if reply is not None:
                reply.set_exception(ActorStopped(f"no actor at {frame.target} on node {self.node}"))
            return
        envelope = Envelope(
            message,
            sender,
            reply,
            frame.message_id,
            frame.correlation_id,
            frame.causation_id,
            NOT_TIMED,
            None,
            frame.trace,
        )
        try:
            if cell.offer(envelope):
                return
        except MailboxFull:
            pass
        # Full, and its policy would make the sender wait or raise: a remote sender cannot
        # be made to wait over the network, so the message is dropped here (counted).
        self._system._note_overflow(cell, cell.mailbox.overflow)
        cell._refuse(envelope, "mailbox_full")

    def _answerer(self, reply_to: str) -> Callable[[Any, BaseException | None], None]:
        def answer(result: Any, error: BaseException | None) -> None:
            if error is None:
                try:
                    name, body = self._codec.encode(result)
                except SerializationError as unencodable:
                    self._reply(reply_to, failure_for(unencodable))
                    return
                self._reply(reply_to, Reply(name, body))
            else:
                self._reply(reply_to, failure_for(error))

        return answer

    def _answer_failure(
        self, reply_to: str, kind: str, error_type: str, message: str, trace: str
    ) -> None:
        self._reply(reply_to, Failure(kind, error_type, message, trace))

    def _reply(self, reply_to: str, frame: Reply | Failure) -> None:
        """Answer an ask. An ask from a node of this cluster is answered on that node's
        reply subject, the token in the frame, so answers to one node coalesce; any other
        requester gets the answer on its own reply subject."""
        prefix, _, token = reply_to.rpartition(".")
        if reply_to.startswith(self._replies_root) and token:
            frame.token = token
            self._send(prefix, encode_frame(frame), kind=BATCHABLE)
        else:
            self._send(reply_to, encode_frame(frame))

    async def _stop_local(self, frame: Stop, reply_to: str) -> None:
        cell = self._local_cell(frame.target, frame.target_incarnation)
        if cell is not None:
            cell.request_stop(frame.timeout)
            await cell.wait_stopped()
        if reply_to:
            name, body = self._codec.encode(None)
            self._reply(reply_to, Reply(name, body))

    async def _on_reply(self, msg: Msg) -> None:
        """An answer on an ask's own reply subject: NATS's no-responders status, or a reply
        sent there."""
        token = msg.subject.rsplit(".", 1)[-1]
        headers = msg.headers
        if headers and headers.get("Status") == "503":
            entry = self._asks.get(token)
            if entry is not None:
                # The node's subscription is gone, so is every other ask to it.
                self._fail_asks_to(entry[1], "is gone: nothing answers for it")
            return
        frame = self._decode(msg)
        if isinstance(frame, Reply | Failure):
            self._answered(token, frame)
        else:
            failure = Failure("undecodable", "DecodeError", "the reply could not be decoded", "")
            self._answered(token, failure)

    async def _on_replies(self, msg: Msg) -> None:
        """Answers on this node's reply subject, each naming its ask's token; maybe batched."""
        frame = self._decode(msg)
        if isinstance(frame, Batch):
            for raw in frame.frames:
                try:
                    inner = decode_frame(raw)
                except (msgspec.DecodeError, ValueError, TypeError) as error:
                    self._undecodable(bytes(raw), error, msg.subject)
                    continue
                if isinstance(inner, Reply | Failure):
                    self._answered(inner.token, inner)
                else:
                    self._unexpected(msg, inner)
        elif isinstance(frame, Reply | Failure):
            self._answered(frame.token, frame)
        elif frame is not None:
            self._unexpected(msg, frame)

    def _answered(self, token: str, frame: Reply | Failure) -> None:
        entry = self._asks.pop(token, None)
        if entry is None or entry[0].done():
            self._cluster.late_replies += 1
            return
        entry[0].set_result(frame)

    def _fail_asks_to(self, node: str, why: str) -> None:
        for token, (future, target) in list(self._asks.items()):
            if target == node:
                del self._asks[token]
                if not future.done():
                    future.set_result(NodeUnreachable(f"node {node!r} {why}", node=node))

    async def _on_control_frame(self, msg: Msg) -> None:
        frame = self._decode(msg)
        if frame is None:
            return
        try:
            if isinstance(frame, Watch):
                self._remote_watch(frame)
            elif isinstance(frame, Unwatch):
                if frame.target_incarnation == self.incarnation and self._relay is not None:
                    self._relay.remove(
                        frame.target, (frame.watcher_node, frame.watcher_incarnation)
                    )
            elif isinstance(frame, Stopped):
                self._terminate(
                    RemoteActorRef(self, frame.node, frame.incarnation, frame.path), frame.reason
                )
            elif isinstance(frame, DeclaredDown):
                if frame.node == self.node and frame.incarnation == self.incarnation:
                    await self._rejoin("a peer declared this node down")
            else:
                self._undecodable(
                    msg.data, TypeError(f"unexpected {type(frame).__name__}"), msg.subject
                )
        except Exception as error:
            logger.error("cluster.control_failed", node=self.node, exc_info=error)

    def _remote_watch(self, frame: Watch) -> None:
        cell = self._local_cell(frame.target, frame.target_incarnation)
        watcher = (frame.watcher_node, frame.watcher_incarnation)
        if cell is None or cell.state is STOPPED or self._relay_cell is None:
            self._send_control(
                frame.watcher_node, Stopped(self.node, frame.target_incarnation, frame.target)
            )
            return
        assert self._relay is not None
        if self._relay.add(frame.target, watcher):
            self._relay_cell.watch(cell)

    def _relay_stopped(self, path: str, reason: str = "stopped") -> None:
        """A local actor that remote nodes watch has stopped: tell each watching node."""
        assert self._relay is not None
        for node, incarnation in self._relay.watchers.pop(path, ()):
            if self._membership.incarnation_of(node) == incarnation:
                self._send_control(node, Stopped(self.node, self.incarnation, path, reason))

    # ------------------------------------------------------------------ membership

    async def _on_member_frame(self, msg: Msg) -> None:
        frame = self._decode(msg)
        if frame is None:
            return
        assert self._loop is not None
        if isinstance(frame, Heartbeat):
            if frame.node == self.node:
                return
            if (frame.node, frame.incarnation) in self._membership.down:
                self._send_control(frame.node, DeclaredDown(frame.node, frame.incarnation))
                return
            events = self._membership.heard(frame.node, frame.incarnation, self._loop.time())
            for event in events:
                self._apply(event)
            if any(isinstance(event, MemberUp) for event in events):
                # A newcomer learns of this node now, not at the next heartbeat.
                self._send(self._members_subject, encode_frame(self._heartbeat()))
        elif isinstance(frame, Leave):
            if frame.node != self.node:
                left = self._membership.left(frame.node, frame.incarnation)
                if left is not None:
                    self._apply(left)
        else:
            self._undecodable(
                msg.data, TypeError(f"unexpected {type(frame).__name__}"), msg.subject
            )

    def _apply(self, event: MemberUp | MemberDown) -> None:
        self._cluster._changed(event)
        if isinstance(event, MemberUp):
            logger.info("cluster.member_up", node=self.node, member=event.node)
            topic = MEMBER_UP_TOPIC
        else:
            logger.warning(
                "cluster.member_down", node=self.node, member=event.node, reason=event.reason
            )
            topic = MEMBER_DOWN_TOPIC
            self._node_down(event.node, event.incarnation)
        try:
            self._system.publish_nowait(topic, event)
        except ActorError as error:
            log_limited("warning", "cluster.event_dropped", topic, topic=topic, error=repr(error))

    def _node_down(self, node: str, incarnation: str) -> None:
        self._fail_asks_to(node, "was declared down")
        for ref in [ref for ref in self._watches.watched() if ref._node == node]:
            if ref._incarnation == incarnation:
                self._terminate(ref, "node_lost")
        if self._relay is not None:
            self._relay.forget_node(node)

    async def _heartbeat_loop(self) -> None:
        assert self._loop is not None
        loop = self._loop
        interval = self._config.heartbeat_interval
        timeout = self._config.heartbeat_timeout
        tick = min(interval, timeout / 4)
        last = loop.time()
        next_beat = last + interval
        while True:
            await asyncio.sleep(tick)
            now = loop.time()
            if now - last > timeout:
                # This loop itself stalled past the timeout (a paused process, a blocked
                # loop): the peers have declared this node down meanwhile.
                await self._rejoin(f"this node's loop stalled for {now - last:.1f}s")
            last = now
            if now >= next_beat:
                next_beat = now + interval
                if self._connected():
                    self._send(self._members_subject, encode_frame(self._heartbeat()))
            for event in self._membership.expire(now):
                self._apply(event)

    async def _rejoin(self, why: str) -> None:
        """Come back as a new incarnation: what peers knew of the old one is gone."""
        old = self.incarnation
        self.incarnation = uuid.uuid4().hex
        self._cluster.incarnation = self.incarnation
        logger.warning(
            "cluster.rejoining", node=self.node, why=why, old=old[:8], new=self.incarnation[:8]
        )
        for event in self._membership.forget_all():
            self._apply(event)
        if self._relay is not None:
            self._relay.watchers.clear()
        self._send(self._members_subject, encode_frame(self._heartbeat()))


def _expire(pending: tuple[RemoteReply, str]) -> None:
    reply, path = pending
    if not reply.done():
        reply.set_exception(AskTimeout("the remote asker's deadline passed", path=path))
