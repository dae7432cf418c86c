"""The bounded mailbox: a user lane limited by ``capacity`` and unbounded system lanes.

The mailbox is a data structure with exactly one consumer (its actor's task). Its admission
rules live in one place, ``offer``, which applies the capacity, the overflow policy, the
blocked senders' turn and the ledger's accepted count, and returns a verdict; the actor cell
routes each verdict (dead letters, a failed ask, a sender that must wait). Nothing here
awaits except ``wait_to_deliver`` (a blocked sender).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable
from typing import Any, cast

import attrs

from actors._core import _ambient, _trace_hooks
from actors._core._ambient import AMBIENT
from actors._core._envelope import NOT_TIMED, Envelope, next_message_id, outside_envelope
from actors._core._messages import Overflow
from actors._core._state import current_cell

__all__ = [
    "ACCEPTED",
    "CLOSED",
    "DROPPED",
    "EVICTED",
    "FULL",
    "REJECTED",
    "Mailbox",
    "MailboxStatistics",
]

# Verdicts of Mailbox.offer. ACCEPTED is 0, so the hot path tests `if verdict:` once.
ACCEPTED = 0  # appended to the user lane
FULL = 1  # overflow BLOCK, no room: the sender waits (tell) or gets MailboxFull (tell_nowait)
REJECTED = 2  # overflow REJECT, no room: the sender gets MailboxFull
DROPPED = 3  # overflow DROP_NEWEST, no room: the offered envelope is a dead letter
EVICTED = 4  # overflow DROP_OLDEST: appended; `evicted` holds the dropped oldest envelope
CLOSED = 5  # the mailbox no longer accepts (the actor is stopping or stopped)

# A sample mask that no count matches in practice: timing off.
_NEVER = (1 << 62) - 1

# The user lane of a mailbox that has never held a message: a shared empty tuple (an empty
# deque costs 760 bytes, and an idle actor should not). Reading it works like reading an
# empty deque (truth, len, iteration); the first append replaces it with a deque, which then
# stays. Code that mutates the lane (popleft, del) only does so when it is non-empty.
_NO_MESSAGES = cast("deque[Envelope]", ())


@attrs.frozen
class MailboxStatistics:
    """A snapshot of one actor's mailbox and message ledger.

    The ledger holds once the actor is idle: ``accepted == processed + dead_lettered``, where
    ``dead_lettered`` counts the accepted messages that were later dead-lettered (failed,
    evicted by ``drop_oldest``, still queued at stop). Messages refused at the door
    (``drop_newest``, ``reject``, sent after stop) were never accepted.

    Attributes:
        depth: user messages queued now (not counting the one being handled).
        capacity: the mailbox bound.
        high_water_mark: the largest ``depth`` seen since the actor was spawned.
        accepted: user messages the mailbox accepted.
        processed: accepted messages whose handler returned.
        dead_lettered: accepted messages that became dead letters.
        failed: handler calls that raised: each failed attempt of a message a ``Retry``
            delivers again counts; a message that fails for good is a dead letter too.
        blocked_senders: senders waiting for room now (overflow ``block``).
    """

    depth: int
    capacity: int
    high_water_mark: int
    accepted: int
    processed: int
    dead_lettered: int
    failed: int
    blocked_senders: int


class Mailbox:
    """Three FIFO lanes served by one consumer.

    ``control`` (directives, stop, child failures) is always served first; ``notices``
    (``Terminated``) next; ``user`` last. Only ``user`` is bounded by ``capacity``.
    """

    __slots__ = (
        "accepted",
        "accepting",
        "capacity",
        "clock",
        "control",
        "evicted",
        "high_water_mark",
        "interrupt",
        "last_verdict",
        "notices",
        "overflow",
        "putters",
        "sample_mask",
        "user",
        "waiter",
        "waiting_for_user",
    )

    def __init__(
        self,
        capacity: int,
        overflow: Overflow,
        clock: Callable[[], float] = time.monotonic,
        sample_every: int = 0,
    ) -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
            raise ValueError(f"mailbox capacity must be an int >= 1, got {capacity!r}")
        if not isinstance(overflow, Overflow):
            raise TypeError(f"overflow must be an Overflow member, got {overflow!r}")
        self.capacity = capacity
        self.overflow = overflow
        # Every lane starts as a shared empty tuple and becomes a deque on first use (see
        # _NO_MESSAGES); the consumer re-reads `user` before it waits.
        self.user: deque[Envelope] = _NO_MESSAGES
        self.notices: deque[Envelope] | tuple[()] = ()
        self.control: deque[Any] | tuple[()] = ()
        # Senders blocked on a full BLOCK mailbox, oldest first: each one's future and the
        # envelope it waits to deliver. The future is woken with True (the mailbox took the
        # envelope in) or False (closed, timed out, or its ask is over). A parked ask has no
        # future of its own (None): its asker awaits the reply, and its deadline ends the wait.
        self.putters: deque[tuple[asyncio.Future[bool] | None, Envelope]] | tuple[()] = ()
        # The consumer's future while it waits; None while it runs, and from the moment a
        # user message woke it.
        self.waiter: asyncio.Future[None] | None = None
        # Whether the waiting consumer wants user messages (False while it is suspended).
        self.waiting_for_user = True
        # Invariant: False from the moment the actor begins to stop; offers are then CLOSED.
        self.accepting = True
        # Set whenever the consumer has something other than user messages to see to (a
        # control message, a notice, a state change); its task re-checks this one flag per
        # message instead of every lane.
        self.interrupt = False
        self.accepted = 0
        self.high_water_mark = 0
        # 1 in `sample_every` accepted messages is stamped with `clock()` for the time-in-
        # mailbox and handling-time histograms (a power of two, checked with a bit mask).
        self.clock = clock
        self.sample_mask = _NEVER if sample_every <= 0 else sample_every - 1
        self.evicted: Envelope | None = None
        self.last_verdict = ACCEPTED

    def __len__(self) -> int:
        return len(self.user)

    def offer(self, envelope: Envelope) -> int:
        """Admit a user message or say why not: the mailbox's one admission rule.

        Returns ``ACCEPTED`` (appended, counted, the consumer woken), ``FULL`` (``block``
        overflow: the sender must wait for its turn), ``REJECTED`` (``reject``), ``DROPPED``
        (``drop_newest``: the envelope was not taken), ``EVICTED`` (``drop_oldest``: taken,
        and the oldest queued envelope, now in ``evicted``, was dropped) or ``CLOSED``.
        Senders blocked earlier keep their turn: while any waits, nothing else gets in.
        """
        if self.has_room:
            self.append(envelope)
            return ACCEPTED
        if not self.accepting:
            return CLOSED
        overflow = self.overflow
        if overflow is Overflow.BLOCK:
            return FULL
        if overflow is Overflow.REJECT:
            return REJECTED
        if overflow is Overflow.DROP_NEWEST:
            return DROPPED
        self.evicted = self.user.popleft()
        self.append(envelope)
        return EVICTED

    def post(
        self, message: Any, reply: asyncio.Future[Any] | None, correlation_id: int | str | None
    ) -> Envelope | None:
        """Wrap ``message`` in its envelope and offer it, in one call: the hot path of tell
        and ask. Returns None when it was accepted, else the envelope, whose verdict is then
        ``last_verdict`` (the caller settles it).

        The envelope is built as ``new_envelope`` builds it and admitted as ``offer`` admits
        it, both inlined here: two calls less on every message.
        """
        message_id = next_message_id()
        sender_cell = current_cell.get()
        if sender_cell is None:
            if _ambient.active and (
                AMBIENT.get() is not None or _trace_hooks.trace_source is not None
            ):
                envelope = outside_envelope(message, reply, message_id, correlation_id)
            else:
                envelope = Envelope(
                    message,
                    None,
                    reply,
                    message_id,
                    message_id if correlation_id is None else correlation_id,
                    None,
                    NOT_TIMED,
                )
        else:
            handling = sender_cell.current
            if handling is None:
                causation = trace = deadline = None
                correlation = message_id if correlation_id is None else correlation_id
            else:
                causation = handling.message_id
                correlation = handling.correlation_id if correlation_id is None else correlation_id
                trace = handling.trace
                deadline = handling.deadline
            envelope = Envelope(
                message,
                sender_cell.ref,
                reply,
                message_id,
                correlation,
                causation,
                NOT_TIMED,
                None,
                trace,
                deadline,
            )
        user = self.user
        depth = len(user)
        if depth < self.capacity and self.accepting and not self.putters:
            try:
                user.append(envelope)
            except AttributeError:  # the first message ever: the lane becomes a deque
                self.user = deque((envelope,))
            accepted = self.accepted + 1
            self.accepted = accepted
            if not accepted & self.sample_mask:
                envelope.enqueued_at = self.clock()
            if depth >= self.high_water_mark:
                self.high_water_mark = depth + 1
            waiter = self.waiter
            if waiter is not None and self.waiting_for_user:
                # Woken once: the messages that follow until the consumer runs skip this.
                self.waiter = None
                if not waiter.done():  # (cancelled with its task, which is ending)
                    waiter.set_result(None)
            return None
        self.last_verdict = self.offer(envelope)
        return None if self.last_verdict == ACCEPTED else envelope

    @property
    def has_room(self) -> bool:
        """Whether an offer now would be ``ACCEPTED`` (room, accepting, nobody waiting)."""
        return len(self.user) < self.capacity and self.accepting and not self.putters

    def append(self, envelope: Envelope) -> None:
        """Append to the user lane and count it; for callers that apply a policy of their
        own (the event bus's subscriptions) after checking ``has_room`` or making room."""
        user = self.user
        if user is _NO_MESSAGES:
            user = self.user = deque()
        user.append(envelope)
        accepted = self.accepted + 1
        self.accepted = accepted
        if not accepted & self.sample_mask:
            envelope.enqueued_at = self.clock()
        depth = len(user)
        if depth > self.high_water_mark:
            self.high_water_mark = depth
        waiter = self.waiter
        if waiter is not None and self.waiting_for_user:
            self.waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def resize(self, capacity: int, overflow: Overflow) -> None:
        """Change the bound and the overflow policy in place (a configuration reload): no
        queued message is touched. A larger ``capacity`` takes blocked senders in at once;
        a smaller one below the depth keeps every queued message, and new offers follow
        ``overflow`` until the depth is below the new bound.

        Raises ValueError for ``capacity`` not an int >= 1, TypeError for ``overflow`` not
        an ``Overflow``; nothing is changed then.
        """
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
            raise ValueError(f"mailbox capacity must be an int >= 1, got {capacity!r}")
        if not isinstance(overflow, Overflow):
            raise TypeError(f"overflow must be an Overflow member, got {overflow!r}")
        self.capacity = capacity
        self.overflow = overflow
        if self.putters and self.accepting:
            self.admit_blocked()

    def requeue(self, envelope: Envelope) -> None:
        """Put an accepted message back at the end of the user lane (a ``Retry`` sending a
        failed message to the back): not counted again, not bounded by ``capacity`` (it
        already had its place), and taken in even while the actor stops, to be drained or
        dead-lettered with the rest."""
        user = self.user
        if user is _NO_MESSAGES:
            user = self.user = deque()
        user.append(envelope)
        if len(user) > self.high_water_mark:
            self.high_water_mark = len(user)
        waiter = self.waiter
        if waiter is not None and self.waiting_for_user:
            self.waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def take_evicted(self) -> Envelope:
        """The envelope the last ``EVICTED`` verdict dropped (the caller dead-letters it)."""
        evicted = self.evicted
        assert evicted is not None
        self.evicted = None
        return evicted

    def stop_accepting(self) -> list[Envelope]:
        """From now on every offer is ``CLOSED``; blocked senders wake (with False). Returns
        the parked asks, which the caller refuses."""
        self.accepting = False
        self.interrupt = True
        return self.wake_putters()

    def take(self) -> Envelope:
        """Remove and return the oldest user message, waking one blocked sender."""
        envelope = self.user.popleft()
        if self.putters:
            self.admit_blocked()
        return envelope

    def admit_blocked(self) -> None:
        """Move the oldest blocked senders' messages into the room just made, one per place,
        and tell each sender it is delivered.

        The mailbox hands the message in itself (the sender's task need not run first), so a
        place made for a blocked sender can never be taken by a later one, and messages keep
        flowing while the senders wait to be scheduled: blocked senders are served in
        arrival order, and no place is left idle while a sender waits.
        """
        putters = self.putters
        user = self.user
        while putters and len(user) < self.capacity:
            putter, envelope = putters.popleft()
            if putter is None:
                reply = envelope.reply
                if reply is not None and reply.done():
                    continue  # a parked ask that ended meanwhile (deadline, cancellation)
                self.append(envelope)
                continue
            if putter.done():
                continue  # cancelled, its sender not yet resumed: its message is not taken
            self.append(envelope)
            putter.set_result(True)

    def park(self, envelope: Envelope) -> None:
        """Queue an ask's envelope behind the blocked senders, for ``admit_blocked`` to take
        in when room is made; the asker just awaits its reply (no future, no task wake-up of
        its own), and its deadline, or its cancellation, ends the wait."""
        putters = self.putters
        if not isinstance(putters, deque):
            putters = self.putters = deque()
        putters.append((None, envelope))

    def put_control(self, item: Any) -> None:
        """Queue a system message; never bounded, always wakes the consumer."""
        control = self.control
        if not isinstance(control, deque):
            control = self.control = deque()
        control.append(item)
        self.interrupt = True
        self._wake()

    def put_notice(self, envelope: Envelope) -> None:
        """Queue a notice (``Terminated``) for the handler; served before user messages."""
        notices = self.notices
        if not isinstance(notices, deque):
            notices = self.notices = deque()
        notices.append(envelope)
        self.accepted += 1
        self.interrupt = True
        self._wake()

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def wait_to_deliver(
        self,
        envelope: Envelope,
        timeout: float | None,
        until: asyncio.Future[Any] | None = None,
    ) -> bool:
        """Wait as a blocked sender of ``envelope``, behind those blocked earlier.

        True once the mailbox has taken it in (``admit_blocked``). False when it was not:
        the mailbox closed, ``timeout`` passed, or ``until`` (an asker's reply future, failed
        by its own deadline) completed, so the sender gives up its turn without a loop timer
        of its own. Raises whatever cancels the caller; a cancelled sender whose message was
        already taken in leaves it delivered.
        """
        loop = asyncio.get_running_loop()
        putter: asyncio.Future[bool] = loop.create_future()
        putters = self.putters
        if not isinstance(putters, deque):
            putters = self.putters = deque()
        entry = (putter, envelope)
        putters.append(entry)
        # Invariant: an entry leaves `putters` exactly once: popped when its message is taken
        # in or when the mailbox closes, removed by _give_up on a timeout or `until`, or
        # removed below when its sender is cancelled while still waiting.
        handle = None
        if timeout is not None:
            handle = loop.call_later(timeout, _give_up, entry, putters)
        give_up = None
        if until is not None:

            def give_up(_: object) -> None:
                _give_up(entry, putters)

            until.add_done_callback(give_up)
        try:
            return await putter
        except asyncio.CancelledError:
            if putter.cancelled():
                with contextlib.suppress(ValueError):
                    putters.remove(entry)
            raise
        finally:
            if handle is not None:
                handle.cancel()
            if give_up is not None:
                assert until is not None
                until.remove_done_callback(give_up)

    def wake_putters(self) -> list[Envelope]:
        """Wake every blocked sender with False (the mailbox refuses new messages); return the
        parked asks' envelopes still waiting, for the caller to refuse (never accepted, so not
        in the ledger)."""
        putters = self.putters
        parked: list[Envelope] = []
        while putters:
            putter, envelope = putters.popleft()
            if putter is None:
                reply = envelope.reply
                if reply is not None and not reply.done():
                    parked.append(envelope)
            elif not putter.done():
                putter.set_result(False)
        return parked

    def close(self) -> tuple[list[Envelope], list[Envelope]]:
        """Refuse further messages; wake blocked senders (with False). Returns what was
        queued (notices first, then user messages, each in arrival order: accepted, so in
        the ledger) and the parked asks still waiting (never accepted)."""
        self.accepting = False
        parked = self.wake_putters()
        drained = list(self.notices)
        drained.extend(self.user)
        self.notices = ()
        self.user = _NO_MESSAGES
        return drained, parked


def _give_up(
    entry: tuple[asyncio.Future[bool], Envelope],
    putters: deque[tuple[asyncio.Future[bool] | None, Envelope]],
) -> None:
    putter = entry[0]
    if not putter.done():
        putter.set_result(False)
        putters.remove(entry)
