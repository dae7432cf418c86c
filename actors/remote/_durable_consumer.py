"""``DurableConsumer``: one actor's durable subscription, fed from a JetStream pull consumer.

Flow: a fetch loop pulls at most ``max_ack_pending - in flight`` events at a time (so no
more than ``max_ack_pending`` are ever unacknowledged or buffered here), and hands each one
to the subscriber's mailbox the way an ask does: an envelope with a reply future, the
event's topic on it. The kernel completes that future when the handler returned (result),
raised (``ActorFailed``), or could not run (``ActorStopped``, ``MailboxFull``); a done
callback queues the outcome, and one settle loop answers the server in outcome order:
``+ACK`` after the handler returned, ``-NAK`` with the backoff delay after a failure, and
on the ``max_deliver``-th failed delivery a dead letter (reason ``max_deliveries``), a copy
on the dead-letter subject and ``+TERM``.

The same consumer serves a durable pool across nodes (``_durable_pools``): then the events
have no topic (``bus_prefix`` is ``None``), and an event stored by an ask carries the
asker's reply subject, answered through ``answer`` once the handler returned (or on the
last failed delivery); a redelivered duplicate's answer arrives late and is discarded by
the asker's node.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

import msgspec
import nats.errors
from nats.aio.msg import Msg

from actors._cluster._durable_errors import MaxDeliveriesExceeded
from actors._cluster._durable_options import DurableOptions, redelivery_delay
from actors._core._envelope import new_envelope
from actors._core._errors import ActorFailed, ActorStopped, MailboxFull
from actors._core._log import log_limited, logger
from actors.remote._durable_wire import decode_event

if TYPE_CHECKING:
    from nats.aio.client import Client
    from nats.aio.subscription import Subscription
    from nats.js.client import JetStreamContext

    from actors._core._ref import ActorRef
    from actors._system._system import ActorSystem
    from actors.remote._wire import Codec

__all__ = ["DurableConsumer"]

# Events pulled per fetch request at most (and no more than the room left under
# max_ack_pending); a fetch that finds nothing returns after this many seconds.
_FETCH_BATCH = 256
_FETCH_WAIT = 1.0
# Seconds between retries of a fetch that failed (server gone, reconnecting).
_RETRY = 0.25
# Seconds close() waits for the outcomes of the events in flight.
_CLOSE_WAIT = 2.0


class DurableConsumer:
    """The durable subscription of ``ref`` to ``pattern`` (private; see ``Durables``)."""

    def __init__(
        self,
        system: ActorSystem,
        nc: Client,
        js: JetStreamContext,
        subscription: JetStreamContext.PullSubscription,
        codec: Codec,
        ref: ActorRef,
        pattern: str,
        stream: str,
        options: DurableOptions,
        bus_prefix: str | None,
        dead_letter_subject: str,
        on_closed: Callable[[DurableConsumer], None],
        answer: Callable[[str, Any, BaseException | None], None] | None = None,
    ) -> None:
        self._on_closed = on_closed
        self._system = system
        self._nc = nc
        self._js = js
        self._subscription = subscription
        # The MAX_DELIVERIES advisories of this consumer (set by Durables once subscribed).
        self.advisories: Subscription | None = None
        self._codec = codec
        self.ref = ref
        self.pattern = pattern
        self.stream = stream
        self.options = options
        self._bus_prefix = bus_prefix
        self._dead_letter_subject = dead_letter_subject
        # Answers an ask stored with the event: (reply subject, result, error).
        self._answer_ask = answer
        # Invariant: in_flight == events fetched and not yet answered to the server
        # (ack, nak or term), never more than options.max_ack_pending.
        self.in_flight = 0
        self._room = asyncio.Event()
        # The fetch loop asks for more once this much room is free (half the bound, at
        # most a full batch).
        self._batch = min(_FETCH_BATCH, (options.max_ack_pending + 1) // 2)
        # Outcomes of handled events, answered by the settle loop in this order.
        self._outcomes: deque[_Outcome] = deque()
        self._outcome = asyncio.Event()
        self._closed = False
        self._tasks: list[asyncio.Task[None]] = []
        self.delivered = 0
        self.acknowledged = 0
        self.redelivered = 0
        self.dead_lettered = 0

    def __repr__(self) -> str:
        return f"<DurableConsumer {self.options.durable} {self.ref.path} {self.pattern!r}>"

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        name = f"durable {self.options.durable} {self.ref.path}"
        for coroutine, role in (
            (self._fetch_loop(), "fetch"),
            (self._settle_loop(), "settle"),
            (self._watch(), "watch"),
        ):
            task = loop.create_task(coroutine, name=f"{name} {role}")
            task.add_done_callback(self._task_done)
            self._tasks.append(task)

    async def close(self) -> None:
        """Stop fetching, answer the server for what is in flight (waiting for it at most
        ``_CLOSE_WAIT`` seconds; the server redelivers the rest after ``ack_wait``), and
        unsubscribe. The consumer stays on the server, so events published from now on
        wait there for the next subscriber of this durable name. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._outcome.set()
        current = asyncio.current_task()
        tasks = [task for task in self._tasks if task is not current]
        for task in tasks:
            if not task.get_name().endswith("settle"):
                task.cancel()
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=_CLOSE_WAIT)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        try:
            if self.advisories is not None:
                await self.advisories.unsubscribe()
            await self._subscription.unsubscribe()
        except Exception as error:  # the connection may be gone: the server cleans up
            logger.debug(
                "durable.unsubscribe_failed", durable=self.options.durable, error=repr(error)
            )
        self._on_closed(self)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            logger.error(
                "durable.task_failed",
                durable=self.options.durable,
                task=task.get_name(),
                exc_info=task.exception(),
            )

    async def _watch(self) -> None:
        # A subscriber that stopped for good ends its subscription (as on the local bus).
        await self.ref.wait_stopped()
        await self.close()

    # ------------------------------------------------------------------ fetching

    async def _fetch_loop(self) -> None:
        limit = self.options.max_ack_pending
        while not self._closed:
            room = limit - self.in_flight
            if room < self._batch:
                # Fetch in batches: waiting for room for one event at a time would make
                # every fetch a round trip for one event.
                self._room.clear()
                await self._room.wait()
                continue
            try:
                messages = await self._subscription.fetch(min(room, _FETCH_BATCH), _FETCH_WAIT)
            except nats.errors.TimeoutError:
                continue
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log_limited(
                    "warning",
                    "durable.fetch_failed",
                    self.options.durable,
                    durable=self.options.durable,
                    error=repr(error),
                )
                await asyncio.sleep(_RETRY)  # the client is reconnecting; try again
                continue
            for message in messages:
                self._deliver(message)

    def _deliver(self, message: Msg) -> None:
        self.in_flight += 1
        self.delivered += 1
        delivered = message.metadata.num_delivered
        topic = self._topic(message.subject)
        try:
            stored = decode_event(message.data)
            event = self._codec.decode(stored.kind, stored.body)
        except (msgspec.DecodeError, msgspec.ValidationError, LookupError) as error:
            self._system.dead_letters.record(message.data, self.ref, "undecodable", error)
            log_limited(
                "warning",
                "durable.undecodable",
                self.options.durable,
                durable=self.options.durable,
                topic=topic,
                error=repr(error),
            )
            self._queue(message, delivered, None, "", None, _Undecodable(error))
            return
        cell = self.ref._cell
        reply: asyncio.Future[Any] = cell.loop.create_future()
        envelope = new_envelope(event, reply, stored.correlation_id)
        envelope.topic = topic
        reply.add_done_callback(
            functools.partial(self._handled, message, delivered, event, stored.reply)
        )
        # The kernel's ask path (ActorRef.ask without a deadline): admitted, refused with a
        # verdict, or parked behind blocked senders until the mailbox has room. The
        # envelope's reply is completed by whoever finishes it.
        mailbox = self.ref._mailbox
        try:
            verdict = mailbox.offer(envelope)
            if verdict and not cell.settle(envelope, verdict):
                mailbox.park(envelope)
        except MailboxFull as error:  # a `reject` mailbox that is full
            if not reply.done():
                reply.set_exception(error)

    def _topic(self, subject: str | None) -> str | None:
        if self._bus_prefix is None or subject is None:
            return None  # a durable pool's message
        return subject[len(self._bus_prefix) :]

    def _handled(
        self,
        message: Msg,
        delivered: int,
        event: Any,
        reply_to: str,
        reply: asyncio.Future[Any],
    ) -> None:
        # Called by the loop once the kernel completed the envelope; never raises.
        result = None
        if reply.cancelled():
            error: BaseException | None = ActorStopped("the delivery was cancelled")
        else:
            error = reply.exception()
            if error is None:
                result = reply.result()
        self._queue(message, delivered, event, reply_to, result, error)

    def _queue(
        self,
        message: Msg,
        delivered: int,
        event: Any,
        reply_to: str,
        result: Any,
        error: BaseException | None,
    ) -> None:
        self._outcomes.append(_Outcome(message, delivered, event, reply_to, result, error))
        self._outcome.set()

    # ------------------------------------------------------------------ answering

    async def _settle_loop(self) -> None:
        outcomes = self._outcomes
        while True:
            if not outcomes:
                if self._closed and self.in_flight == 0:
                    return
                self._outcome.clear()
                await self._outcome.wait()
                continue
            outcome = outcomes.popleft()
            try:
                await self._answer(outcome)
            except Exception as failure:  # the connection is gone: the server redelivers
                log_limited(
                    "warning",
                    "durable.answer_failed",
                    self.options.durable,
                    durable=self.options.durable,
                    error=repr(failure),
                )
            self.in_flight -= 1
            if self.options.max_ack_pending - self.in_flight >= self._batch:
                self._room.set()

    async def _answer(self, outcome: _Outcome) -> None:
        message, delivered, event, error = (
            outcome.message,
            outcome.delivered,
            outcome.event,
            outcome.error,
        )
        if error is None:
            self.acknowledged += 1
            await message.ack()
            self._reply(outcome.reply_to, outcome.result, None)
            return
        if isinstance(error, _Undecodable):
            await message.term()  # no delivery will ever decode it
            return
        options = self.options
        if isinstance(error, ActorFailed | MailboxFull) and delivered >= options.max_deliver:
            await self._dead_letter(message, delivered, event, error)
            self._reply(outcome.reply_to, None, error)  # the last delivery: the asker hears
            return
        self.redelivered += 1
        if isinstance(error, ActorStopped) and not self.ref.is_alive:
            await message.nak()  # for the next subscriber of this durable, at once
            return
        await message.nak(delay=redelivery_delay(options.backoff, delivered))

    async def _dead_letter(
        self, message: Msg, delivered: int, event: Any, error: BaseException
    ) -> None:
        cause = error.__cause__ if isinstance(error, ActorFailed) else error
        topic = self._topic(message.subject)
        what = f"failed on each of its {delivered} deliveries"
        await self._give_up(message.data, topic, delivered, event, cause, what)
        await message.term()

    async def on_max_deliveries(self, advisory: Msg) -> None:
        """The server's ``MAX_DELIVERIES`` advisory: an event delivered ``max_deliver`` times
        without an answer (its handler outlived ``ack_wait``, or its node died each time)
        that the server will not deliver again. It becomes a dead letter too; a failure the
        handler raised never gets here (that event was dead-lettered and terminated)."""
        try:
            notice = json.loads(advisory.data)
            sequence = int(notice["stream_seq"])
            delivered = int(notice.get("deliveries", self.options.max_deliver))
            stored = await self._js.get_msg(self.stream, sequence)
        except Exception as error:  # the event is gone (max_age) or the server is
            logger.warning(
                "durable.advisory_failed", durable=self.options.durable, error=repr(error)
            )
            return
        data = stored.data or b""
        topic = self._topic(stored.subject)
        try:
            decoded = decode_event(data)
            event: Any = self._codec.decode(decoded.kind, decoded.body)
        except (msgspec.DecodeError, msgspec.ValidationError, LookupError):
            event = data
        what = f"was not answered within ack_wait on any of its {delivered} deliveries"
        await self._give_up(data, topic, delivered, event, None, what)

    async def _give_up(
        self,
        data: bytes,
        topic: str | None,
        delivered: int,
        event: Any,
        cause: BaseException | None,
        what: str,
    ) -> None:
        self.dead_lettered += 1
        where = f"on {topic!r}" if topic is not None else f"for the pool {self.ref.path}"
        letter = MaxDeliveriesExceeded(
            f"durable event {where} {what}",
            path=self.ref.path,
            message_type=type(event).__name__,
            deliveries=delivered,
            topic=topic,
            durable=self.options.durable,
            stream=self.stream,
        )
        letter.__cause__ = cause
        self._system.dead_letters.record(event, self.ref, "max_deliveries", letter)
        logger.warning(
            "durable.max_deliveries",
            durable=self.options.durable,
            topic=topic,
            deliveries=delivered,
            path=self.ref.path,
        )
        headers = {
            "Actors-Deliveries": str(delivered),
            "Actors-Subscriber": self.ref.path,
            "Actors-Error": "unanswered" if cause is None else type(cause).__name__,
        }
        if topic is not None:
            headers["Actors-Topic"] = topic
        await self._nc.publish(self._dead_letter_subject, data, headers=headers)

    def _reply(self, reply_to: str, result: Any, error: BaseException | None) -> None:
        if reply_to and self._answer_ask is not None:
            self._answer_ask(reply_to, result, error)


class _Outcome(NamedTuple):
    """A handled event, waiting for the settle loop to answer the server."""

    message: Msg
    delivered: int
    event: Any
    reply_to: str  # the asker's reply subject ("" for a tell or a bus event)
    result: Any
    error: BaseException | None


class _Undecodable(Exception):
    """The outcome of an event this node cannot decode (already a dead letter)."""
