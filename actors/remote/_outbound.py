"""``Outbound``: a node's tells and asks to actors of other nodes, and the answers to its asks.

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
from typing import Any

import msgspec
from nats.aio.msg import Msg

from actors._cluster._remote_ref import RemoteActorRef
from actors._core._envelope import new_envelope
from actors._core._errors import (
    ActorError,
    ActorStopped,
    AskTimeout,
    NodeUnreachable,
    SerializationError,
)
from actors.remote._failures import error_for
from actors.remote._link import NodeLink
from actors.remote._outbox import BATCHABLE, PLAIN, TELL
from actors.remote._wire import (
    Ask,
    Batch,
    Failure,
    Frame,
    Kill,
    Reply,
    Tell,
    WireRef,
    decode_frame,
    encode_frame,
)

__all__ = ["Outbound"]


class Outbound:
    """Tell, ask and kill for ``RemoteActorRef``\\ s, and the pending asks (private)."""

    def __init__(self, link: NodeLink) -> None:
        self._link = link
        self.reply_prefix = f"{link.replies_root}{link.node}.{uuid.uuid4().hex[:12]}"
        self._tokens = itertools.count(1)
        # Pending asks of this node: token -> (reply future, target node).
        self.asks: dict[str, tuple[asyncio.Future[Frame | BaseException], str]] = {}
        # True from a request published from its caller's task to the end of that loop step.
        self._burst = False

    def _origin(
        self, correlation_id: int | str | None
    ) -> tuple[int, int | str, int | None, WireRef | None, Any, float | None]:
        """Message id, correlation id, causation id, sender, trace context and seconds left
        of the inherited deadline (``None``: none) of a message sent now: what a local
        message would inherit from the handler it is sent from (or from an ambient
        ``correlation_scope`` and the current span outside handlers). The deadline travels
        as seconds left: the nodes' clocks need not agree."""
        envelope = new_envelope(None, None, correlation_id)
        sender = envelope.sender
        link = self._link
        wire = None if sender is None else WireRef(link.node, link.incarnation, sender.path)
        deadline = envelope.deadline
        left = None
        if deadline is not None and sender is not None:
            left = deadline - sender._cell.deadlines.clock()
        return (
            envelope.message_id,
            envelope.correlation_id,
            envelope.causation_id,
            wire,
            envelope.trace,
            left,
        )

    def tell(self, ref: RemoteActorRef, message: Any, correlation_id: int | str | None) -> None:
        link = self._link
        name, body = link.codec.encode(message)
        message_id, correlation, causation, sender, trace, left = self._origin(correlation_id)
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
            left,
        )
        link.cluster.tells_sent += 1
        if not link.connected():
            link.lost("not connected to NATS")
            return
        link.send(link.actor_subject(ref._node, ref._path), encode_frame(frame), kind=TELL)

    async def ask(
        self,
        ref: RemoteActorRef,
        message: Any,
        timeout: float | None,
        correlation_id: int | str | None,
    ) -> Any:
        if timeout is not None and timeout <= 0:
            raise ValueError(f"ask timeout must be > 0 or None, got {timeout!r}")
        codec = self._link.codec
        name, body = codec.encode(message)
        message_id, correlation, causation, sender, trace, left = self._origin(correlation_id)
        if left is not None:
            # Asked from a handler whose message has a deadline: wait no longer than it has.
            if left <= 0:
                raise AskTimeout(
                    "the deadline inherited from the message being handled has passed",
                    path=ref._path,
                    message_type=type(message).__name__,
                    correlation_id=correlation,
                )
            timeout = left if timeout is None or left < timeout else timeout
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
            f"{self.reply_prefix}.{token}",
            trace,
        )
        answer = await self.request(
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
                return codec.decode(answer.message_type, answer.body)
            except (LookupError, msgspec.DecodeError) as error:
                raise SerializationError(
                    f"cannot decode the reply ({answer.message_type}): {error}",
                    path=ref._path,
                    message_type=answer.message_type,
                    correlation_id=correlation,
                ) from error
        raise error_for(answer, ref, message, correlation)

    async def request(
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
        link = self._link
        node = ref._node
        if not link.connected():
            raise NodeUnreachable(
                f"not connected to NATS; cannot reach node {node!r}",
                node=node,
                path=ref._path,
                message_type=message_type,
                correlation_id=correlation,
            )
        if link.membership.incarnation_of(node) != ref._incarnation:
            raise NodeUnreachable(
                f"node {node!r} (incarnation {ref._incarnation[:8]}) is down",
                node=node,
                path=ref._path,
                message_type=message_type,
                correlation_id=correlation,
            )
        loop = link.loop
        assert loop is not None
        if token is None:
            token = str(next(self._tokens))
        future: asyncio.Future[Frame | BaseException] = loop.create_future()
        self.asks[token] = (future, node)
        link.cluster.asks_sent += 1
        subject = link.actor_subject(node, ref._path)
        reply = f"{self.reply_prefix}.{token}"
        if link.outbox or self._burst:
            link.send(subject, payload, reply, kind)
        else:
            # Nothing queued ahead of it (a frame the writer already took is in the client's
            # buffer), so publishing here keeps the order and saves the writer's hop. Other
            # requests made in the same loop step queue behind it instead, to be batched.
            self._burst = True
            loop.call_soon(self._end_burst)
            try:
                await link.nc.publish(subject, payload, reply=reply)  # type: ignore[union-attr]
            except Exception as error:
                self.asks.pop(token, None)
                raise NodeUnreachable(
                    f"cannot publish to NATS: {error!r}",
                    node=node,
                    path=ref._path,
                    message_type=message_type,
                    correlation_id=correlation,
                ) from error
        if timeout is not None:
            assert link.expiries is not None
            link.expiries.add(timeout, self._ask_expired, token)
        try:
            answer = await future
        finally:
            self.asks.pop(token, None)
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
        entry = self.asks.pop(token, None)
        if entry is not None and not entry[0].done():
            entry[0].set_result(None)  # type: ignore[arg-type]  # None: timed out

    def kill(self, ref: RemoteActorRef) -> None:
        link = self._link
        if link.connected():
            frame = Kill(ref._path, ref._incarnation)
            link.send(link.actor_subject(ref._node, ref._path), encode_frame(frame))

    # ------------------------------------------------------------------ answers

    async def on_reply(self, msg: Msg) -> None:
        """An answer on an ask's own reply subject: NATS's no-responders status, or a reply
        sent there."""
        token = msg.subject.rsplit(".", 1)[-1]
        headers = msg.headers
        if headers and headers.get("Status") == "503":
            entry = self.asks.get(token)
            if entry is not None:
                # The node's subscription is gone, so is every other ask to it.
                self.fail_asks_to(entry[1], "is gone: nothing answers for it")
            return
        frame = self._link.decode(msg)
        if isinstance(frame, Reply | Failure):
            self._answered(token, frame)
        else:
            failure = Failure("undecodable", "DecodeError", "the reply could not be decoded", "")
            self._answered(token, failure)

    async def on_replies(self, msg: Msg) -> None:
        """Answers on this node's reply subject, each naming its ask's token; maybe batched."""
        link = self._link
        frame = link.decode(msg)
        if isinstance(frame, Batch):
            for raw in frame.frames:
                try:
                    inner = decode_frame(raw)
                except (msgspec.DecodeError, ValueError, TypeError) as error:
                    link.undecodable(bytes(raw), error, msg.subject)
                    continue
                if isinstance(inner, Reply | Failure):
                    self._answered(inner.token, inner)
                else:
                    link.unexpected(msg, inner)
        elif isinstance(frame, Reply | Failure):
            self._answered(frame.token, frame)
        elif frame is not None:
            link.unexpected(msg, frame)

    def _answered(self, token: str, frame: Reply | Failure) -> None:
        entry = self.asks.pop(token, None)
        if entry is None or entry[0].done():
            self._link.cluster.late_replies += 1
            return
        entry[0].set_result(frame)

    def fail_asks_to(self, node: str, why: str) -> None:
        for token, (future, target) in list(self.asks.items()):
            if target == node:
                del self.asks[token]
                if not future.done():
                    future.set_result(NodeUnreachable(f"node {node!r} {why}", node=node))

    def fail_all(self, error: Callable[[str], BaseException], forget: bool) -> None:
        """Answer every pending ask with ``error(target node)``; ``forget`` drops them too."""
        for token, (future, node) in list(self.asks.items()):
            if not future.done():
                future.set_result(error(node))
            if forget:
                self.asks.pop(token, None)
