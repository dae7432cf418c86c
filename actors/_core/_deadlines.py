"""Ask timeouts without a loop timer per ask.

Asks made with the same timeout expire in the order they were made, so each distinct timeout
gets one FIFO queue and one armed loop timer (for its oldest pending entry). Adding an ask is
a deque append of a small tuple instead of a ``call_later`` plus a cancel; the entry keeps
the ask's envelope, which already holds what an ``AskTimeout`` reports, so nothing is computed
per ask. Expiry is exact, at ``made + timeout`` loop time. Entries of asks answered meanwhile
are dropped lazily: from the front when the next ask is added or the timer passes them, and,
behind an ask still unanswered in front, in bulk when a queue has doubled since it was last
compacted, so the bookkeeping stays amortized O(1) per ask and about as large as the number
of asks in flight.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from actors._core._errors import AskTimeout

if TYPE_CHECKING:
    # cycle: typing only; an ask deadline names the cell and envelope of the ask, and every
    # cell holds the deadlines.
    from actors._core._cell import ActorCell
    from actors._core._envelope import Envelope

__all__ = ["AskDeadlines"]

# A queue is compacted once it holds at least this many entries and twice as many as it kept
# at its last compaction.
_COMPACT_MIN = 1024

# (deadline, the asker's reply future, the ask's envelope, the asked cell). The future is
# kept apart from the envelope: a pool hands the reply on to a routee's envelope.
_Entry = tuple[float, "asyncio.Future[Any]", "Envelope", "ActorCell"]


class AskDeadlines:
    """The pending ask timeouts of one system (private)."""

    __slots__ = ("_compact_at", "_loop", "_queues", "_timers", "clock")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        # The loop's clock, shared by every mailbox of the system (a bound method per
        # mailbox would cost 64 bytes per actor): time.monotonic itself when the loop's time
        # is asyncio's own (which returns it), a C call instead of a Python method.
        clock = loop.time
        if getattr(clock, "__func__", None) is asyncio.BaseEventLoop.time:
            clock = time.monotonic
        self.clock: Callable[[], float] = clock
        # Invariants, per timeout: entries in non-decreasing deadline order; a queue exists
        # exactly while it is non-empty, and exactly then a timer is armed, at or before its
        # head's deadline (answered entries in front are dropped without re-arming it).
        self._queues: dict[float, deque[_Entry]] = {}
        self._timers: dict[float, asyncio.TimerHandle] = {}
        self._compact_at: dict[float, int] = {}

    def add(
        self,
        timeout: float,
        deadline: float,
        reply: asyncio.Future[Any],
        envelope: Envelope,
        cell: ActorCell,
    ) -> None:
        """Fail ``reply`` with ``AskTimeout`` at loop time ``deadline`` (``timeout`` seconds
        from now, read from ``clock`` by the caller), unless it is done by then."""
        queue = self._queues.get(timeout)
        if queue is None:
            queue = self._queues[timeout] = deque()
            self._compact_at[timeout] = _COMPACT_MIN
            self._timers[timeout] = self._loop.call_at(deadline, self._fire, timeout)
        elif queue[0][1].done():
            # Asks are mostly answered in the order they were made: drop the answered ones
            # in front, so the queue holds about as many entries as asks are in flight.
            popleft = queue.popleft
            popleft()
            while queue and queue[0][1].done():
                popleft()
        queue.append((deadline, reply, envelope, cell))
        if len(queue) >= self._compact_at[timeout]:
            # An unanswered ask in front holds the answered ones behind it: drop them all.
            kept = [entry for entry in queue if not entry[1].done()]
            queue.clear()
            queue.extend(kept)
            self._compact_at[timeout] = max(_COMPACT_MIN, 2 * len(queue))

    def _fire(self, timeout: float) -> None:
        queue = self._queues[timeout]
        now = self.clock()
        while queue and (queue[0][0] <= now or queue[0][1].done()):
            _, reply, envelope, cell = queue.popleft()
            if not reply.done():
                # Not counted here: the asker counts the AskTimeout it actually receives.
                reply.set_exception(
                    AskTimeout(
                        f"no reply within {timeout}s",
                        path=cell.path,
                        message_type=type(envelope.message).__name__,
                        correlation_id=envelope.correlation_id,
                    )
                )
        if queue:
            self._timers[timeout] = self._loop.call_at(queue[0][0], self._fire, timeout)
        else:
            del self._timers[timeout]
            del self._queues[timeout]
            del self._compact_at[timeout]

    def close(self) -> None:
        """Disarm every timer (the system is shut down; no ask can be pending)."""
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        self._queues.clear()
        self._compact_at.clear()
