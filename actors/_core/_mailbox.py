"""The bounded mailbox: a user lane limited by ``capacity`` and unbounded system lanes.

The mailbox is a data structure with exactly one consumer (its actor's task). It applies no
overflow policy itself: it reports whether it has room and lets the actor cell decide, so the
policy lives in one place. Nothing here awaits except ``wait`` (the consumer) and
``wait_for_room`` (a blocked sender).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from typing import Any

import attrs

from actors._core._envelope import Envelope
from actors._core._messages import Overflow

__all__ = ["Mailbox", "MailboxStatistics"]


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
        failed: messages whose handler raised (they are dead letters too).
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
        "capacity",
        "closed",
        "control",
        "high_water_mark",
        "notices",
        "overflow",
        "putters",
        "user",
        "waiter",
        "waiting_for_user",
    )

    def __init__(self, capacity: int, overflow: Overflow) -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
            raise ValueError(f"mailbox capacity must be an int >= 1, got {capacity!r}")
        if not isinstance(overflow, Overflow):
            raise TypeError(f"overflow must be an Overflow member, got {overflow!r}")
        self.capacity = capacity
        self.overflow = overflow
        self.user: deque[Envelope] = deque()
        # The other lanes are rarely used, so they start as a shared empty tuple (an empty
        # deque costs 760 bytes; an idle actor should not) and become deques on first use.
        # Reading them (truth, len, iteration) works either way.
        self.notices: deque[Envelope] | tuple[()] = ()
        self.control: deque[Any] | tuple[()] = ()
        # Futures of senders blocked on a full BLOCK mailbox, oldest first. Each is woken with
        # True (room was made) or False (the mailbox closed).
        self.putters: deque[asyncio.Future[bool]] | tuple[()] = ()
        # The consumer's future while it waits; None while it runs.
        self.waiter: asyncio.Future[None] | None = None
        # Whether the waiting consumer wants user messages (False while it is suspended).
        self.waiting_for_user = True
        self.closed = False
        self.accepted = 0
        self.high_water_mark = 0

    def __len__(self) -> int:
        return len(self.user)

    @property
    def has_room(self) -> bool:
        return len(self.user) < self.capacity and not self.putters

    def append(self, envelope: Envelope) -> None:
        """Append to the user lane; the caller has checked ``has_room`` or evicted."""
        user = self.user
        user.append(envelope)
        self.accepted += 1
        depth = len(user)
        if depth > self.high_water_mark:
            self.high_water_mark = depth
        waiter = self.waiter
        if waiter is not None and self.waiting_for_user and not waiter.done():
            waiter.set_result(None)

    def evict_oldest(self) -> Envelope:
        """Remove and return the oldest user message (``drop_oldest``)."""
        return self.user.popleft()

    def take(self) -> Envelope:
        """Remove and return the oldest user message, waking one blocked sender."""
        envelope = self.user.popleft()
        if self.putters:
            self.wake_one_putter()
        return envelope

    def wake_one_putter(self) -> None:
        """Hand the free room to the oldest blocked senders still waiting, one per place.

        A woken sender stays in ``putters`` until it has appended its message, so the room
        granted to it cannot be taken by a later sender meanwhile (senders that find
        ``putters`` non-empty queue behind it): blocked senders are served in arrival order.
        Places already granted and not yet used are counted, so every free place has at most
        one sender on its way and none is left idle while a sender waits.
        """
        free = self.capacity - len(self.user)
        for putter in self.putters:
            if free <= 0:
                return
            if not putter.done():
                putter.set_result(True)
                free -= 1
            elif not putter.cancelled() and putter.result():
                free -= 1  # granted, on its way

    def put_control(self, item: Any) -> None:
        """Queue a system message; never bounded, always wakes the consumer."""
        control = self.control
        if not isinstance(control, deque):
            control = self.control = deque()
        control.append(item)
        self._wake()

    def put_notice(self, envelope: Envelope) -> None:
        """Queue a notice (``Terminated``) for the handler; served before user messages."""
        notices = self.notices
        if not isinstance(notices, deque):
            notices = self.notices = deque()
        notices.append(envelope)
        self.accepted += 1
        self._wake()

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def wait(self, *, for_user: bool) -> None:
        """Wait until something arrives for the consumer (any lane, or control only)."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiter = waiter
        self.waiting_for_user = for_user
        try:
            await waiter
        finally:
            self.waiter = None

    async def wait_for_room(self, timeout: float | None) -> bool:
        """Wait as a blocked sender; True when room was made, False when closed or timed out.

        Raises whatever cancels the caller; a cancelled sender gives its turn to the next one.
        """
        loop = asyncio.get_running_loop()
        putter: asyncio.Future[bool] = loop.create_future()
        putters = self.putters
        if not isinstance(putters, deque):
            putters = self.putters = deque()
        putters.append(putter)
        handle = None
        if timeout is not None:
            handle = loop.call_later(timeout, _expire, putter)
        try:
            return await putter
        except asyncio.CancelledError:
            # If room was handed to us just as we were cancelled, pass it on.
            if putter.done() and not putter.cancelled() and putter.result():
                putters.remove(putter)
                self.wake_one_putter()
            raise
        finally:
            if handle is not None:
                handle.cancel()
            with contextlib.suppress(ValueError):
                putters.remove(putter)

    def wake_putters(self) -> None:
        """Wake every blocked sender with False (the mailbox refuses new messages)."""
        putters = self.putters
        while putters:
            putter = putters.popleft()
            if not putter.done():
                putter.set_result(False)

    def close(self) -> list[Envelope]:
        """Refuse further messages; wake blocked senders (with False); return what was queued.

        Notices come first, then user messages, each in arrival order.
        """
        self.closed = True
        self.wake_putters()
        drained = list(self.notices)
        drained.extend(self.user)
        self.notices = ()
        self.user.clear()
        return drained


def _expire(putter: asyncio.Future[bool]) -> None:
    if not putter.done():
        putter.set_result(False)
