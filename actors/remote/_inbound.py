"""``Inbound``: frames from other nodes for this node's actors, and the answers to their asks.

A node subscribes ``<prefix>.a.<node>.>``: while it is up something always answers there, so
a NATS *no responders* on an ask means the node is gone (``NodeUnreachable``), and "no such
actor" comes back from the node itself (``ActorStopped``). A frame that cannot be decoded
becomes an ``undecodable`` dead letter; no frame ever kills the subscription.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
from nats.aio.msg import Msg

from actors._core._cell import ActorCell
from actors._core._envelope import NOT_TIMED, Envelope
from actors._core._errors import ActorStopped, AskTimeout, MailboxFull, SerializationError
from actors._core._log import logger
from actors._system._system_bus import RUNTIME_PREFIX
from actors.remote._failures import failure_for
from actors.remote._link import NodeLink
from actors.remote._outbox import BATCHABLE
from actors.remote._reply import RemoteReply
from actors.remote._wire import (
    Ask,
    Batch,
    Failure,
    Frame,
    Kill,
    Reply,
    Stop,
    Tell,
    decode_frame,
    encode_frame,
)

__all__ = ["Inbound"]


class Inbound:
    """Delivers tells, asks, stops and kills from other nodes to local actors (private)."""

    def __init__(self, link: NodeLink) -> None:
        self._link = link

    async def on_actor_frame(self, msg: Msg) -> None:
        link = self._link
        frame = link.decode(msg)
        if frame is None:
            if msg.reply:
                self._answer_failure(msg.reply, "undecodable", "DecodeError", "bad frame", "")
            return
        if isinstance(frame, Batch):
            for raw in frame.frames:
                try:
                    inner = decode_frame(raw)
                except (msgspec.DecodeError, ValueError, TypeError) as error:
                    link.undecodable(bytes(raw), error, msg.subject)
                    continue
                if isinstance(inner, Tell | Ask):
                    self._on_frame(inner, msg)
                else:  # only tells and asks are batched
                    link.unexpected(msg, inner)
            return
        self._on_frame(frame, msg)

    def _on_frame(self, frame: Frame, msg: Msg) -> None:
        link = self._link
        try:
            if isinstance(frame, Tell | Ask):
                self._deliver(frame, msg)
            elif isinstance(frame, Stop):
                link.spawn_task(self._stop_local(frame, msg.reply), "stop")
            elif isinstance(frame, Kill):
                cell = self.local_cell(frame.target, frame.target_incarnation)
                if cell is not None:
                    cell.kill()
            else:
                link.unexpected(msg, frame)
        except Exception as error:  # never let one frame kill the subscription
            logger.error("cluster.delivery_failed", node=link.node, exc_info=error)

    def local_cell(self, path: str, incarnation: str) -> ActorCell | None:
        """The local actor a frame targets, or None (gone, another incarnation, runtime)."""
        link = self._link
        if incarnation != link.incarnation:
            return None
        cell = link.system._registry.get(path)
        if cell is None or cell.path.startswith(RUNTIME_PREFIX):
            return None
        return cell

    def _deliver(self, frame: Tell | Ask, msg: Msg) -> None:
        link = self._link
        system = link.system
        try:
            message = link.codec.decode(frame.message_type, frame.body)
        except (LookupError, msgspec.DecodeError) as error:
            link.undecodable(msg.data, error, msg.subject)
            reply_to = (frame.reply or msg.reply) if isinstance(frame, Ask) else ""
            if reply_to:
                self._answer_failure(reply_to, "undecodable", type(error).__name__, str(error), "")
            return
        sender = None if frame.sender is None else link.decode_ref(frame.sender)
        cell = self.local_cell(frame.target, frame.target_incarnation)
        reply: RemoteReply | None = None
        reply_to = (frame.reply or msg.reply) if isinstance(frame, Ask) else ""
        if reply_to and isinstance(frame, Ask):
            reply = RemoteReply(self._answerer(reply_to))
            if frame.deadline is not None:
                assert link.expiries is not None
                link.expiries.add(frame.deadline, _expire, (reply, frame.target))
        if cell is None:
            system.dead_letters.record(message, None, "stopped")
            if reply is not None:
                reply.set_exception(ActorStopped(f"no actor at {frame.target} on node {link.node}"))
            return
        # The deadline travels as seconds left: the nodes' clocks need not agree.
        left = frame.deadline
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
            None if left is None else cell.deadlines.clock() + left,
        )
        try:
            if cell.offer(envelope):
                return
        except MailboxFull:
            pass
        # Full, and its policy would make the sender wait or raise: a remote sender cannot
        # be made to wait over the network, so the message is dropped here (counted).
        system._note_overflow(cell, cell.mailbox.overflow)
        cell._refuse(envelope, "mailbox_full")

    def _answerer(self, reply_to: str) -> Callable[[Any, BaseException | None], None]:
        codec = self._link.codec

        def answer(result: Any, error: BaseException | None) -> None:
            if error is None:
                try:
                    name, body = codec.encode(result)
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
        link = self._link
        prefix, _, token = reply_to.rpartition(".")
        if reply_to.startswith(link.replies_root) and token:
            frame.token = token
            link.send(prefix, encode_frame(frame), kind=BATCHABLE)
        else:
            link.send(reply_to, encode_frame(frame))

    async def _stop_local(self, frame: Stop, reply_to: str) -> None:
        cell = self.local_cell(frame.target, frame.target_incarnation)
        if cell is not None:
            cell.request_stop(frame.timeout)
            await cell.wait_stopped()
        if reply_to:
            name, body = self._link.codec.encode(None)
            self._reply(reply_to, Reply(name, body))


def _expire(pending: tuple[RemoteReply, str]) -> None:
    reply, path = pending
    if not reply.done():
        reply.set_exception(AskTimeout("the remote asker's deadline passed", path=path))
