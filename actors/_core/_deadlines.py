"""Ask timeouts without a loop timer per ask.

Asks made with the same timeout expire in the order they were made, so each distinct timeout
gets one FIFO queue and one armed loop timer (for its oldest pending entry). Adding an ask is
a deque append instead of a ``call_later`` plus a cancel; expiry is still exact, at
``made + timeout`` loop time. Entries of asks answered meanwhile are dropped lazily, from the
front as the timer passes them and in bulk when a queue grows.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING, Any

from actors._core._errors import AskTimeout

if TYPE_CHECKING:
    from actors._core._cell import ActorCell

__all__ = ["AskDeadlines"]

# Compact a queue (drop answered entries) every this many additions.
_COMPACT_EVERY = 1024


class _Entry:
    __slots__ = ("cell", "correlation_id", "deadline", "message_type", "reply")

    def __init__(
        self,
        deadline: float,
        reply: asyncio.Future[Any],
        cell: ActorCell,
        message_type: str,
        correlation_id: int | str,
    ) -> None:
        self.deadline = deadline
        self.reply = reply
        self.cell = cell
        self.message_type = message_type
        self.correlation_id = correlation_id


class AskDeadlines:
    """The pending ask timeouts of one system (private)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        # Invariant: per timeout, entries are in non-decreasing deadline order, and a timer is
        # armed (in _timers) exactly while its queue is non-empty.
        self._queues: dict[float, deque[_Entry]] = {}
        self._timers: dict[float, asyncio.TimerHandle] = {}
        self._added = 0

    def add(
        self,
        timeout: float,
        reply: asyncio.Future[Any],
        cell: ActorCell,
        message_type: str,
        correlation_id: int | str,
    ) -> None:
        deadline = self._loop.time() + timeout
        queue = self._queues.get(timeout)
        if queue is None:
            queue = self._queues[timeout] = deque()
        queue.append(_Entry(deadline, reply, cell, message_type, correlation_id))
        if timeout not in self._timers:
            self._timers[timeout] = self._loop.call_at(deadline, self._fire, timeout)
        self._added += 1
        if not self._added % _COMPACT_EVERY:
            self._compact()

    def _compact(self) -> None:
        for queue in self._queues.values():
            if len(queue) > 1:
                head = queue[0]
                kept = [entry for entry in queue if not entry.reply.done()]
                queue.clear()
                # Keep the head the timer is armed for, so the invariant holds.
                if not kept or kept[0] is not head:
                    queue.append(head)
                queue.extend(kept)

    def _fire(self, timeout: float) -> None:
        queue = self._queues[timeout]
        now = self._loop.time()
        while queue and (queue[0].deadline <= now or queue[0].reply.done()):
            entry = queue.popleft()
            if not entry.reply.done():
                # Not counted here: the asker counts the AskTimeout it actually receives.
                entry.reply.set_exception(
                    AskTimeout(
                        f"no reply within {timeout}s",
                        path=entry.cell.path,
                        message_type=entry.message_type,
                        correlation_id=entry.correlation_id,
                    )
                )
        if queue:
            self._timers[timeout] = self._loop.call_at(queue[0].deadline, self._fire, timeout)
        else:
            del self._timers[timeout]
            del self._queues[timeout]

    def close(self) -> None:
        """Disarm every timer (the system is shut down; no ask can be pending)."""
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        self._queues.clear()
