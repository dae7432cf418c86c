"""The event bus: a routing actor that fans published events out to subscribers.

Delivery is one mailbox put per matching subscriber: the event goes straight into the
subscriber's mailbox with the kernel's non-waiting path, in the same envelope for every
subscriber (the envelope carries the topic, the publisher as sender and the publisher's
correlation id). No task is created per delivery.

A subscriber whose mailbox is full is handled by its own subscription's overflow policy and
never holds up the others:

- ``BLOCK`` (the default): the event waits in the subscription's *backlog*, behind any
  event already waiting there, until the mailbox has room, at most ``timeout`` seconds. One
  task per backlogged subscriber (and only while its backlog is not empty) moves events into
  the mailbox as room is made. The backlog holds at most as many events as the subscriber's
  mailbox capacity; beyond that, or past the timeout, the event is a dead letter
  (``mailbox_full``) naming the subscriber.
- ``DROP_NEWEST``: the arriving event is a dead letter (``mailbox_full``).
- ``DROP_OLDEST``: the oldest event queued for the subscriber is a dead letter
  (``mailbox_full``) and the arriving one takes its place.

Why nothing can deadlock: the bus's handler is synchronous and never waits for anything, so
its mailbox always drains; delivering never waits for a subscriber (a full subscriber gets a
backlog entry or a drop, decided on the spot); and ``ActorSystem.publish`` waits, if at all,
only for room in the bus's mailbox. A subscriber that publishes from its own handler, with its
own mailbox and the bus's full, therefore waits only for the bus, which never waits for it.
"""

from __future__ import annotations

import asyncio
import contextvars
import math
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from actors._core._actor import Actor
from actors._core._cell import ActorCell
from actors._core._envelope import NOT_TIMED, Envelope, new_envelope, next_message_id
from actors._core._local import local_cell
from actors._core._log import logger
from actors._core._messages import DeadLetter, Overflow, Terminated
from actors._core._ref import ActorRef
from actors._core._refusals import fail_reply
from actors._core._state import RUNNING, STOPPING
from actors._routing._topics import TopicTrie, validate_pattern, validate_topic

if TYPE_CHECKING:
    from actors._core._mailbox import Mailbox

__all__ = ["DEFAULT_TIMEOUT", "EventBus", "Publish", "Subscribe", "Unsubscribe"]

# How long an event may wait for room in a full subscriber's mailbox under the default
# (BLOCK) policy before it becomes a dead letter. The same default as ask and shutdown.
DEFAULT_TIMEOUT = 5.0

_SUBSCRIPTION_OVERFLOWS = (Overflow.BLOCK, Overflow.DROP_NEWEST, Overflow.DROP_OLDEST)


def _check_pattern(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    validate_pattern(value)  # type: ignore[arg-type]  # it raises TypeError for a non-str


def _check_optional_pattern(
    instance: object, attribute: attrs.Attribute[Any], value: object
) -> None:
    if value is not None:
        validate_pattern(value)  # type: ignore[arg-type]


def _check_topic(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    validate_topic(value)  # type: ignore[arg-type]


def _check_overflow(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Overflow):
        raise TypeError(f"overflow must be an Overflow member, got {value!r}")
    if value not in _SUBSCRIPTION_OVERFLOWS:
        raise ValueError(
            f"a subscription's overflow is BLOCK, DROP_NEWEST or DROP_OLDEST, not {value.name}:"
            " an event already delivered to other subscribers cannot be refused to its publisher"
        )


def _check_timeout(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValueError(f"timeout must be a finite number of seconds > 0 or None, got {value!r}")


@attrs.frozen
class Subscribe:
    """Subscribe ``ref`` to every topic ``pattern`` matches: a message for an ``EventBus``.

    ``await system.bus.ask(Subscribe(ref, "orders.>"))`` returns once the subscription is
    active, with ``True`` when the pattern is new for ``ref`` and ``False`` when ``ref`` was
    already subscribed to it. ``ActorSystem.subscribe`` does the same in one call. The bus
    watches ``ref`` and drops all its subscriptions when it stops for good.

    The overflow policy belongs to the subscriber, not to one pattern: the ``overflow`` and
    ``timeout`` of the latest ``Subscribe`` for ``ref`` apply to all of its patterns. They
    decide what happens to an event that finds ``ref``'s mailbox full (the mailbox's own
    overflow policy applies to ``tell``, not to bus events):

    - ``Overflow.BLOCK`` (default): the event waits for room, at most ``timeout`` seconds
      (``None``: without limit), behind the events already waiting for ``ref``; at most as
      many events wait as ``ref``'s mailbox capacity. Other subscribers are not held up.
    - ``Overflow.DROP_NEWEST``: the arriving event is dropped.
    - ``Overflow.DROP_OLDEST``: the oldest event queued for ``ref`` is dropped to make room.

    Every event not delivered becomes a dead letter naming ``ref`` (reason ``mailbox_full``,
    or ``stopped`` if ``ref`` stopped first), never a silent loss.

    Raises (when constructed):
        TypeError: ``ref`` is not an ``ActorRef``, ``pattern`` not a ``str``, ``overflow``
            not an ``Overflow``.
        ValueError: ``pattern`` is not a valid pattern (the message names the problem),
            ``overflow`` is ``REJECT``, or ``timeout`` is not a positive number or ``None``.
    """

    ref: ActorRef = attrs.field(validator=attrs.validators.instance_of(ActorRef))
    pattern: str = attrs.field(validator=_check_pattern)
    overflow: Overflow = attrs.field(default=Overflow.BLOCK, validator=_check_overflow)
    timeout: float | None = attrs.field(default=DEFAULT_TIMEOUT, validator=_check_timeout)


@attrs.frozen
class Unsubscribe:
    """Remove ``ref``'s subscription to ``pattern`` (all of its patterns when ``None``): a
    message for an ``EventBus``.

    Asked, the reply is the number of patterns removed (0 when there was nothing to remove,
    which is not an error). Events already queued for ``ref`` are still delivered.

    Raises (when constructed):
        TypeError: ``ref`` is not an ``ActorRef`` or ``pattern`` is not a ``str``.
        ValueError: ``pattern`` is not a valid pattern.
    """

    ref: ActorRef = attrs.field(validator=attrs.validators.instance_of(ActorRef))
    pattern: str | None = attrs.field(default=None, validator=_check_optional_pattern)


@attrs.frozen
class Publish:
    """Publish ``event`` on ``topic``: a message for an ``EventBus``.

    Every actor subscribed to a matching pattern receives ``event`` itself (once, however
    many of its patterns match), with ``self.context.topic == topic``. A topic nobody
    subscribes to is not an error. ``ActorSystem.publish`` is the usual way to publish on
    ``system.bus``; telling ``Publish`` to a bus directly is equivalent on this node, but
    on a cluster node only ``ActorSystem.publish`` sends the event to the other nodes.

    Raises (when constructed):
        TypeError: ``topic`` is not a ``str``.
        ValueError: ``topic`` is not a valid topic (for example it contains a wildcard or an
            empty token); the message names the problem.
    """

    topic: str = attrs.field(validator=_check_topic)
    event: Any


@attrs.frozen
class _Declared:
    """The runtime's subscription of an actor's ``subscriptions`` class attribute.

    Unlike ``Subscribe`` it keeps the overflow policy of a subscriber the bus already knows
    (one that subscribed itself in ``on_start``), since nobody chose one here.
    """

    ref: ActorRef
    patterns: tuple[str, ...]


class _Subscriber:
    """The bus's record of one subscriber; the trie's values are these records."""

    __slots__ = ("backlog", "cell", "drainer", "mailbox", "overflow", "timeout")

    def __init__(self, cell: ActorCell, overflow: Overflow, timeout: float | None) -> None:
        self.cell = cell
        self.mailbox = cell.mailbox
        self.overflow = overflow
        self.timeout = timeout
        # Events waiting for room in the mailbox, oldest first, each with the loop time after
        # which it is given up (None: never). Invariants: while it is not empty every new
        # event for this subscriber goes behind it (publish order), and `drainer` runs.
        self.backlog: deque[tuple[Envelope, float | None]] = deque()
        # The task moving the backlog into the mailbox; None while the backlog is empty.
        self.drainer: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"<subscriber {self.cell.path} {self.overflow.name} backlog={len(self.backlog)}>"


class EventBus(Actor):
    """A routing actor that fans events published on topics out to the actors subscribed to
    matching patterns.

    Every ``ActorSystem`` has one, ``system.bus`` (path ``/system/bus``), used through
    ``system.subscribe``, ``system.unsubscribe`` and ``system.publish`` or by sending it the
    messages ``Subscribe``, ``Unsubscribe`` and ``Publish``. A separate bus for a private
    topic space can be spawned like any actor (``await system.spawn(EventBus)``) and used
    through those messages.

    Topics are dot-separated tokens (``orders.eu.created``); in a pattern ``*`` matches
    exactly one token and ``>``, only as the last token, one or more (the NATS subject rules).
    Matching follows a token trie, so its cost does not grow with the number of subscriptions
    that do not match. Each subscriber receives the events in publish order, each event once;
    a subscriber that stops for good is unsubscribed. See ``Subscribe`` for what happens when
    a subscriber's mailbox is full.

    A message the bus does not understand does not fail the bus: it becomes a dead letter
    (reason ``failed``, ``error`` a ``TypeError``) and an asker gets ``ActorFailed``.

    Args:
        publish_dead_letters: publish every dead letter of the system on the topic
            ``DEAD_LETTER_TOPIC`` (the system's bus does). A dead letter whose message is
            itself a ``DeadLetter`` is not published again, so a failing or overflowing
            dead-letter subscriber cannot start a loop.
    """

    DEAD_LETTER_TOPIC: ClassVar[str] = "system.dead_letters"
    """The topic on which the system's bus publishes every ``DeadLetter``."""

    @staticmethod
    def validate_pattern(pattern: str) -> tuple[str, ...]:
        """Check a subscription pattern (NATS subject rules) and return its tokens.

        Raises ``TypeError`` for a non-``str`` and ``ValueError`` naming what is wrong (an
        empty token, ``>`` before the last token, a wildcard inside a token, whitespace).
        """
        return validate_pattern(pattern)

    @staticmethod
    def validate_topic(topic: str) -> tuple[str, ...]:
        """Check a topic to publish on (dot-separated tokens, no wildcards); return its tokens.

        Raises ``TypeError`` for a non-``str`` and ``ValueError`` naming what is wrong.
        """
        return validate_topic(topic)

    def __init__(self, *, publish_dead_letters: bool = False) -> None:
        self._publish_dead_letters = publish_dead_letters
        self._trie: TopicTrie[_Subscriber] = TopicTrie()
        # Invariant: a subscriber is here while it has a pattern in the trie or a backlog;
        # the bus watches each one's cell for as long as it is here.
        self._subscribers: dict[ActorCell, _Subscriber] = {}
        # Events published while a fan-out was running (a dead letter recorded during a
        # delivery): delivered after it, so that every subscriber sees publish order.
        self._pending: deque[Envelope] = deque()
        self._fanning = False
        # Set when an event had to wait in a backlog; read by _publish_direct.
        self._backlog_grew = False
        self._closed = False
        # Told (pattern, True) when a subscriber gains a pattern and (pattern, False) when it
        # loses one, so a cluster node can follow which patterns have local subscribers. It
        # must not raise. Set by the system for its own bus.
        self._interest: Callable[[str, bool], None] | None = None

    # ------------------------------------------------------------------ lifecycle

    async def on_start(self) -> None:
        if self._publish_dead_letters:
            self.context.system.dead_letters.add_listener(self._on_dead_letter)

    async def on_stop(self) -> None:
        self._close()

    def _close(self) -> None:
        """Stop delivering: backlogs become dead letters (``stopped``). Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._publish_dead_letters:
            self.context.system.dead_letters.remove_listener(self._on_dead_letter)
        for subscriber in list(self._subscribers.values()):
            if subscriber.drainer is not None:
                subscriber.drainer.cancel()
                subscriber.drainer = None
            backlog = subscriber.backlog
            while backlog:
                subscriber.cell._refuse(backlog.popleft()[0], "stopped")

    @property
    def _backlogged(self) -> bool:
        """Whether some event waits for room in a running subscriber's mailbox (one that will
        drain; a failed subscriber's backlog waits on its parent's decision, not on work)."""
        return any(
            subscriber.backlog and subscriber.cell.state is RUNNING
            for subscriber in self._subscribers.values()
        )

    # ------------------------------------------------------------------ messages

    def receive(self, message: Any) -> Any:
        # Synchronous and never waits: the bus's mailbox always drains (see the module doc).
        if isinstance(message, Publish):
            request = self.context._cell.current
            assert request is not None
            # The event inherits the Publish's metadata: its sender, correlation and cause.
            self._fan_out(
                Envelope(
                    message.event,
                    request.sender,
                    None,
                    next_message_id(),
                    request.correlation_id,
                    request.causation_id,
                    NOT_TIMED,
                    message.topic,
                    request.trace,
                ),
                None,
            )
            return None
        if isinstance(message, Subscribe):
            return self._subscribe(message.ref, (message.pattern,), message)
        if isinstance(message, Unsubscribe):
            return self._unsubscribe(message)
        if isinstance(message, Terminated):
            self._terminated(message.ref._cell)
            return None
        if isinstance(message, _Declared):
            return self._subscribe(message.ref, message.patterns, None)
        self._refuse_request(
            TypeError(
                "the event bus handles Subscribe, Unsubscribe and Publish, not"
                f" {type(message).__name__}"
            )
        )
        return None

    def _refuse_request(self, error: Exception) -> None:
        """Account for a request the bus cannot carry out, without failing the bus: like a
        failed handler (dead letter ``failed``, asker gets ``ActorFailed``) minus the
        suspension."""
        cell = self.context._cell
        envelope = cell.current
        assert envelope is not None
        # Taking the envelope back tells the cell it is accounted for here (not processed).
        cell.current = None
        cell.failed += 1
        cell.dead_lettered += 1
        cell.system.dead_letters.record(envelope.message, cell.ref, "failed", error)
        logger.error(
            "bus.request_refused",
            actor=cell.path,
            message_type=type(envelope.message).__name__,
            error=str(error),
        )
        fail_reply(envelope, f"the event bus refused the request: {error}", error, cell.path)

    def _subscribe(
        self, ref: ActorRef, patterns: tuple[str, ...], request: Subscribe | None
    ) -> bool | None:
        try:
            cell = local_cell(ref, "Subscribe")
        except TypeError as error:
            self._refuse_request(error)
            return None
        own = self.context._cell
        if cell.system is not own.system:
            self._refuse_request(ValueError(f"{ref!r} belongs to another actor system"))
            return None
        if cell is own:
            self._refuse_request(ValueError("an event bus cannot subscribe to itself"))
            return None
        subscriber = self._subscribers.get(cell)
        if subscriber is None:
            if request is None:
                subscriber = _Subscriber(cell, Overflow.BLOCK, DEFAULT_TIMEOUT)
            else:
                subscriber = _Subscriber(cell, request.overflow, request.timeout)
            self._subscribers[cell] = subscriber
            self.context.watch(ref)
        elif request is not None:
            subscriber.overflow = request.overflow
            subscriber.timeout = request.timeout
        added = False
        interest = self._interest
        for pattern in patterns:
            if self._trie.add(pattern, subscriber):
                added = True
                if interest is not None:
                    interest(pattern, True)
        return added

    def _unsubscribe(self, message: Unsubscribe) -> int | None:
        try:
            cell = local_cell(message.ref, "Unsubscribe")
        except TypeError as error:
            self._refuse_request(error)
            return None
        subscriber = self._subscribers.get(cell)
        if subscriber is None:
            return 0
        if message.pattern is None:
            patterns = self._trie.remove_value(subscriber)
        elif self._trie.remove(message.pattern, subscriber):
            patterns = [message.pattern]
        else:
            patterns = []
        self._lost_interest(patterns)
        self._forget_if_unused(subscriber)
        return len(patterns)

    def _lost_interest(self, patterns: list[str]) -> None:
        interest = self._interest
        if interest is not None:
            for pattern in patterns:
                interest(pattern, False)

    def _terminated(self, cell: ActorCell) -> None:
        subscriber = self._subscribers.pop(cell, None)
        if subscriber is not None:
            # Its backlog, if any, is dead-lettered by its drainer, which finds it stopped.
            self._lost_interest(self._trie.remove_value(subscriber))

    def _forget_if_unused(self, subscriber: _Subscriber) -> None:
        cell = subscriber.cell
        if (
            self._subscribers.get(cell) is subscriber
            and not subscriber.backlog
            and subscriber.drainer is None
            and not self._trie.patterns_of(subscriber)
        ):
            del self._subscribers[cell]
            self.context.unwatch(cell.ref)

    def introspect(self) -> dict[str, Any]:
        """How many subscribers and subscriptions the bus has, for tree snapshots."""
        return {"kind": "bus", "subscribers": len(self._subscribers), "patterns": len(self._trie)}

    def subscribers(self) -> dict[str, tuple[str, ...]]:
        """The patterns each subscriber is subscribed to, by the subscriber's path."""
        return {
            cell.path: tuple(self._trie.patterns_of(subscriber))
            for cell, subscriber in self._subscribers.items()
        }

    def subscribers_of(self, topic: str) -> tuple[ActorRef, ...]:
        """The subscribers an event published on ``topic`` now would reach, each once.

        Raises ``TypeError`` or ``ValueError`` for an invalid topic (see ``validate_topic``).
        """
        return tuple(subscriber.cell.ref for subscriber in self._trie.match(topic))

    # ------------------------------------------------------------------ delivery

    def _publish_direct(self, topic: str, event: Any, correlation_id: int | str | None) -> bool:
        """Fan an event out from the publisher's own task (``ActorSystem.publish``).

        Only called while the bus is running with an empty mailbox, so no earlier publish
        is still queued: per-publisher order is kept. Returns whether the event had to wait
        in some subscriber's backlog. Raises for an invalid topic.
        """
        subscribers = self._trie.match(topic)
        if not subscribers:
            return False
        envelope = new_envelope(event, None, correlation_id)
        envelope.topic = topic
        self._backlog_grew = False
        self._fan_out(envelope, subscribers)
        return self._backlog_grew

    def _on_dead_letter(self, letter: DeadLetter) -> None:
        # Called synchronously wherever a dead letter is recorded; it must never raise.
        if self._closed or isinstance(letter.message, DeadLetter):
            return
        topic = self.DEAD_LETTER_TOPIC
        subscribers = self._trie.match(topic)
        if not subscribers:
            return
        message_id = next_message_id()
        envelope = Envelope(letter, None, None, message_id, message_id, None, NOT_TIMED, topic)
        self._fan_out(envelope, subscribers)

    def _fan_out(self, envelope: Envelope, subscribers: list[_Subscriber] | None) -> None:
        """Deliver one event to its subscribers (matched here when ``subscribers`` is None).

        Every subscriber gets the same envelope: it is never changed per recipient.
        """
        if self._fanning:
            # Re-entered from a delivery (a dead letter it recorded): deliver it afterwards.
            self._pending.append(envelope)
            return
        self._fanning = True
        stopping = STOPPING
        try:
            while True:
                if subscribers is None:
                    assert envelope.topic is not None
                    subscribers = self._trie.match(envelope.topic)
                for subscriber in subscribers:
                    mailbox = subscriber.mailbox
                    # The hot path: one put into a mailbox with room, nothing else.
                    if (
                        len(mailbox.user) < mailbox.capacity
                        and not mailbox.putters
                        and not subscriber.backlog
                        and subscriber.cell.state < stopping
                    ):
                        mailbox.append(envelope)
                    else:
                        self._overflow(subscriber, envelope)
                if not self._pending:
                    return
                envelope = self._pending.popleft()
                subscribers = None
        finally:
            self._fanning = False

    def _overflow(self, subscriber: _Subscriber, envelope: Envelope) -> None:
        """The subscriber cannot take the event now: apply its subscription's policy."""
        cell = subscriber.cell
        if cell.state >= STOPPING:
            cell._refuse(envelope, "stopped")
            return
        backlog = subscriber.backlog
        overflow = subscriber.overflow
        if overflow is Overflow.BLOCK or backlog:
            # Queue behind the backlog (a policy changed away from BLOCK still drains the
            # backlog it left, in order).
            if len(backlog) < cell.mailbox.capacity:
                timeout = subscriber.timeout
                deadline = None if timeout is None else cell.loop.time() + timeout
                backlog.append((envelope, deadline))
                self._backlog_grew = True
                if subscriber.drainer is None:
                    self._start_drainer(subscriber)
                return
            if overflow is Overflow.DROP_OLDEST:
                self._drop(subscriber, backlog.popleft()[0])
                timeout = subscriber.timeout
                deadline = None if timeout is None else cell.loop.time() + timeout
                backlog.append((envelope, deadline))
                return
            self._drop(subscriber, envelope)
            return
        if overflow is Overflow.DROP_OLDEST:
            evicted = _evict_oldest_event(cell.mailbox)
            if evicted is not None:
                cell.dead_lettered += 1  # it was accepted by the mailbox: keep the ledger
                self._drop(subscriber, evicted)
                cell.mailbox.append(envelope)
                return
            # The mailbox is full of direct messages only; the arriving event is the oldest.
        self._drop(subscriber, envelope)

    def _drop(self, subscriber: _Subscriber, envelope: Envelope) -> None:
        cell = subscriber.cell
        cell.system._note_overflow(cell, subscriber.overflow)
        cell._refuse(envelope, "mailbox_full")

    def _start_drainer(self, subscriber: _Subscriber) -> None:
        cell = self.context._cell
        # A fresh context: the drainer belongs to no actor (it may be started from a
        # publisher's task, whose context names that publisher's cell).
        task = cell.loop.create_task(
            self._drain(subscriber),
            name=f"bus backlog {subscriber.cell.path}",
            context=contextvars.Context(),
        )
        subscriber.drainer = task
        cell.system._track(task)

    async def _drain(self, subscriber: _Subscriber) -> None:
        """Move the backlog into the mailbox as room is made; give up events past their
        deadline. Ends when the backlog is empty."""
        cell = subscriber.cell
        mailbox = cell.mailbox
        backlog = subscriber.backlog
        loop = cell.loop
        try:
            while backlog:
                if cell.state >= STOPPING:
                    while backlog:
                        cell._refuse(backlog.popleft()[0], "stopped")
                    break
                now = loop.time()
                while backlog:
                    deadline = backlog[0][1]
                    if deadline is None or deadline > now:
                        break
                    self._drop(subscriber, backlog.popleft()[0])
                while backlog and mailbox.has_room:
                    mailbox.append(backlog.popleft()[0])
                if not backlog:
                    break
                deadline = backlog[0][1]
                # Queued behind earlier blocked senders; the mailbox takes the event in itself.
                timeout = None if deadline is None else deadline - now
                if await mailbox.wait_to_deliver(backlog[0][0], timeout):
                    backlog.popleft()
        finally:
            if subscriber.drainer is asyncio.current_task():
                subscriber.drainer = None
        if not self._closed:
            self._forget_if_unused(subscriber)


def _evict_oldest_event(mailbox: Mailbox) -> Envelope | None:
    """Remove and return the oldest bus event queued in ``mailbox`` (None if it holds none);
    direct messages from other senders are never dropped for an event."""
    user = mailbox.user
    for index, queued in enumerate(user):
        if queued.topic is not None:
            del user[index]
            return queued
    return None
