"""``DurablePools``: pools across nodes whose messages wait in a JetStream work queue.

A pool spawned with ``cluster=True, durable=DurablePool(name=...)`` keeps its messages in
the work-queue stream ``<system>_pool_<name>`` (subject ``<prefix>.dp.<name>``), which
the runtime creates (or updates to the pool's settings) when a node starts serving it;
a sender only creates it when it is missing, so messages sent before any node serves the
pool wait there. Every serving node binds the one durable pull consumer ``<name>`` and
feeds its local pool from it with a ``DurableConsumer``: each message goes to one node at a
time (at most ``max_ack_pending`` held by one node), is acknowledged after the routee's
handler returned, redelivered after the backoff when it raised or after ``ack_wait`` when
its node was lost, and dead-lettered after ``max_deliver`` failed deliveries.

An ask stores the asker's reply subject with the message: the first delivery whose
handler returned answers it (so does the last failed one, when the message is
dead-lettered); a redelivered duplicate's reply arrives after the ask was answered and is
counted as a late reply, as any late reply is.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from actors._cluster._durable_errors import JetStreamError
from actors._core._errors import (
    ActorStopped,
    AskTimeout,
    NodeUnreachable,
)
from actors._core._log import logger
from actors.remote._durable import POOL_KEY, check_server
from actors.remote._durable_wire import DurableEvent, encode_event
from actors.remote._pools import answer_value

if TYPE_CHECKING:
    from actors._cluster._durable_pool import DurablePool
    from actors._cluster._pool_ref import ClusterPoolRef
    from actors._core._ref import ActorRef
    from actors.remote._durable import Durables
    from actors.remote._inbound import Inbound
    from actors.remote._link import NodeLink
    from actors.remote._outbound import Outbound

__all__ = ["DurablePoolServing", "DurablePools"]


class DurablePoolServing:
    """This node's share of one durable pool: its consumer; ``close`` ends it (the messages
    it held unacknowledged go to the other nodes)."""

    def __init__(self, durables: Durables, ref: ActorRef, settings: DurablePool) -> None:
        self._durables = durables
        self._ref = ref
        self._settings = settings

    async def close(self) -> None:
        """End this node's consumer (the consumer stays on the server). Idempotent."""
        for consumer in self._durables.consumers():
            if consumer.ref is self._ref and consumer.pattern == POOL_KEY + self._settings.name:
                await consumer.close()


class DurablePools:
    """The durable pools of one node (private; ``NatsNode`` holds one)."""

    def __init__(
        self, link: NodeLink, durables: Durables, inbound: Inbound, outbound: Outbound
    ) -> None:
        self._link = link
        self._durables = durables
        self._inbound = inbound
        self._outbound = outbound
        # The durable names whose stream this node created or found.
        self._streams: set[str] = set()

    def subject(self, settings: DurablePool) -> str:
        return f"{self._link.prefix}.dp.{settings.name}"

    async def _stream(self, settings: DurablePool, update: bool) -> str:
        """The stream's name on the server, after creating it (or updating it: ``update``).

        Raises:
            JetStreamUnavailable: the server runs without JetStream or is older than 2.10.
            JetStreamError: the server refused the stream's settings.
            NodeUnreachable: not connected to NATS.
        """
        durables = self._durables
        stream = settings.stream()
        name = durables.server_name(stream)
        if not update and settings.name in self._streams:
            return name
        nc = self._link.nc
        if nc is None or not nc.is_connected:
            raise NodeUnreachable(
                f"not connected to NATS; cannot reach the durable pool {settings.name!r}",
                node=self._link.node,
            )
        check_server(nc)
        js = durables.jetstream(nc)
        await durables.declare(js, stream, [self.subject(settings)], update=update)
        self._streams.add(settings.name)
        return name

    async def declare(self, settings: DurablePool) -> None:
        """Create the pool's stream, or update it to ``settings`` (see ``_stream``)."""
        await self._stream(settings, update=True)

    # ------------------------------------------------------------------ serving

    async def serve(self, ref: ActorRef, settings: DurablePool) -> DurablePoolServing:
        """Create or update the pool's stream and feed the local pool ``ref`` from the
        shared consumer.

        Raises:
            JetStreamUnavailable: the server runs without JetStream or is older than 2.10.
            JetStreamError: the server refused the stream's or the consumer's settings.
            NodeUnreachable: not connected to NATS.
        """
        name = await self._stream(settings, update=True)
        await self._durables.consume(
            ref,
            POOL_KEY + settings.name,
            name,
            self.subject(settings),
            settings.options,
            answer=self._answer,
        )
        return DurablePoolServing(self._durables, ref, settings)

    def _answer(self, reply_to: str, result: Any, error: BaseException | None) -> None:
        self._inbound._answerer(reply_to)(result, error)

    # ------------------------------------------------------------------ sending

    async def tell(
        self, ref: ClusterPoolRef, message: Any, correlation_id: int | str | None
    ) -> None:
        """Store ``message`` in the pool's work queue; returns once the server stored it.

        Raises:
            SerializationError: the message cannot be encoded; nothing was sent.
            DurablePublishFailed: the server did not acknowledge it.
            JetStreamUnavailable, JetStreamError: the pool's stream cannot be created.
        """
        await self._store(ref, message, correlation_id, "")
        self._link.cluster.tells_sent += 1

    def tell_nowait(
        self, ref: ClusterPoolRef, message: Any, correlation_id: int | str | None
    ) -> None:
        """Encode ``message`` now and store it in the background; a message the server did
        not store becomes a dead letter (reason ``unreachable``).

        Raises:
            SerializationError: the message cannot be encoded; nothing was sent.
        """
        link = self._link
        link.codec.encode(message)  # refused here, not in the background

        async def store() -> None:
            try:
                await self.tell(ref, message, correlation_id)
            except (JetStreamError, NodeUnreachable) as error:
                link.system.dead_letters.record(message, ref, "unreachable", error)
                logger.warning("cluster.durable_pool_tell_failed", path=ref.path, error=repr(error))

        link.spawn_task(store(), f"tell {ref.path}")

    async def _store(
        self, ref: ClusterPoolRef, message: Any, correlation_id: int | str | None, reply: str
    ) -> int | str:
        settings = ref.durable
        assert settings is not None
        link = self._link
        name, body = link.codec.encode(message)
        correlation = self._outbound._origin(correlation_id)[1]
        server_name = await self._stream(settings, update=False)
        payload = encode_event(DurableEvent(name, body, correlation, reply))
        await self._durables.store(self.subject(settings), payload, None, server_name, None)
        return correlation

    async def ask(
        self,
        ref: ClusterPoolRef,
        message: Any,
        timeout: float | None,
        correlation_id: int | str | None,
    ) -> Any:
        """Store ``message`` with this node's reply subject and wait for the first answer
        (see ``ClusterPoolRef.ask``).

        Raises:
            ValueError: ``timeout`` is not > 0 or None.
            ActorFailed: the routee's handler raised on the last delivery (``max_deliver``).
            AskTimeout: no delivery's handler returned within ``timeout``; the message stays
                queued and is still handled.
            SerializationError, DurablePublishFailed, JetStreamUnavailable: as ``tell``.
        """
        if timeout is not None and timeout <= 0:
            raise ValueError(f"ask timeout must be > 0 or None, got {timeout!r}")
        link = self._link
        outbound = self._outbound
        loop = link.loop
        assert loop is not None
        token = f"dp{next(outbound._tokens)}"
        future: asyncio.Future[Any] = loop.create_future()
        # No node: the answer may come from any node serving the pool, or from none yet.
        outbound.asks[token] = (future, "")
        try:
            correlation = await self._store(
                ref, message, correlation_id, f"{outbound.reply_prefix}.{token}"
            )
            link.cluster.asks_sent += 1
            if timeout is not None:
                assert link.expiries is not None
                link.expiries.add(timeout, outbound._ask_expired, token)
            answer = await future
        finally:
            outbound.asks.pop(token, None)
        context: dict[str, Any] = {
            "path": ref.path,
            "message_type": type(message).__name__,
            "correlation_id": correlation,
        }
        if answer is None:
            raise AskTimeout(
                f"no reply from the durable pool within {timeout}s (the message stays queued"
                " and is still handled)",
                **context,
            )
        if isinstance(answer, NodeUnreachable | ActorStopped):
            answer.path = ref.path
            answer.message_type = context["message_type"]
            answer.correlation_id = correlation
            raise answer
        return answer_value(link, answer, message, context)
