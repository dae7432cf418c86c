"""The system's bounded thread pool for ``blocking = True`` handlers, and what it reports.

A thread cannot be interrupted, so a pool can be exhausted by handlers that never return.
This front counts what it runs: ``busy`` jobs submitted and not finished (more than ``size``
means jobs wait for a thread: the pool is *saturated*, logged ``blocking.saturated``,
rate-limited), and ``stuck`` threads, whose handler overran its ``handler_timeout`` and
whose actor stopped waiting for them, until they return. Health is ``degraded`` while
either lasts, so a pool is never exhausted silently.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from actors._core._log import log_limited

__all__ = ["BlockingPool"]


class BlockingPool:
    """Runs blocking calls on the system's executor and counts them (private)."""

    __slots__ = ("_executor", "_loop", "busy", "saturations", "size", "stuck_threads")

    def __init__(
        self,
        executor: Callable[[], ThreadPoolExecutor],
        size: int,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self._executor = executor  # created on first use by the system
        self._loop = loop
        self.size = size
        # Invariants: busy counts the futures of `run` not yet done; stuck_threads those of
        # them marked by `stuck`; 0 <= stuck_threads <= busy.
        self.busy = 0
        self.stuck_threads = 0
        self.saturations = 0  # calls that found every thread taken and had to queue

    @property
    def saturated(self) -> bool:
        """Whether calls wait for a thread now (more submitted than the pool has threads)."""
        return self.busy > self.size

    def run(self, func: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
        """Run ``func(*args)`` in a thread; the future completes with its outcome."""
        if self.busy >= self.size:
            self.saturations += 1
            log_limited(
                "warning",
                "blocking.saturated",
                "blocking.saturated",
                threads=self.size,
                busy=self.busy,
                stuck=self.stuck_threads,
            )
        self.busy += 1
        future = self._loop.run_in_executor(self._executor(), func, *args)
        future.add_done_callback(self._finished)
        return future

    def _finished(self, _: asyncio.Future[Any]) -> None:
        self.busy -= 1

    def stuck(self, future: asyncio.Future[Any], path: str) -> None:
        """Count ``future``'s thread as stuck until it returns; its outcome is then
        discarded (retrieved, so no error goes unreported as never retrieved: the overrun
        itself was reported)."""
        self.stuck_threads += 1
        future.add_done_callback(self._returned)

    def _returned(self, future: asyncio.Future[Any]) -> None:
        self.stuck_threads -= 1
        if not future.cancelled():
            future.exception()
