"""Deadlines of many pending requests with few loop timers.

Requests made with the same timeout expire in the order they were made, so each distinct
timeout gets one FIFO queue and one armed timer (for its oldest entry): adding a deadline is
a deque append, not a ``call_later`` and a cancel per request. An entry whose request was
answered meanwhile stays queued until its time and then does nothing (its callback checks).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Any

__all__ = ["Expiries"]


class Expiries:
    """Calls ``callback(argument)`` ``timeout`` seconds after ``add`` (loop time)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        # Invariant: per timeout, entries are in non-decreasing deadline order, and a timer
        # is armed (in _timers) exactly while its queue is non-empty.
        self._queues: dict[float, deque[tuple[float, Callable[[Any], None], Any]]] = {}
        self._timers: dict[float, asyncio.TimerHandle] = {}

    def add(self, timeout: float, callback: Callable[[Any], None], argument: Any) -> None:
        deadline = self._loop.time() + timeout
        queue = self._queues.get(timeout)
        if queue is None:
            queue = self._queues[timeout] = deque()
        queue.append((deadline, callback, argument))
        if timeout not in self._timers:
            self._timers[timeout] = self._loop.call_at(deadline, self._fire, timeout)

    def _fire(self, timeout: float) -> None:
        queue = self._queues[timeout]
        now = self._loop.time()
        while queue and queue[0][0] <= now:
            _, callback, argument = queue.popleft()
            callback(argument)
        if queue:
            self._timers[timeout] = self._loop.call_at(queue[0][0], self._fire, timeout)
        else:
            del self._timers[timeout]
            del self._queues[timeout]

    def close(self) -> None:
        """Cancel every timer; nothing more is called."""
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        self._queues.clear()
