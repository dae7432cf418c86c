"""Shutdown: the steps that stop a tree of actors within a deadline (stop each one
gracefully, kill the one still running when time is up) and reap the tasks left behind.
``ActorSystem.shutdown`` runs these steps in order over its components."""

from __future__ import annotations

import asyncio

from actors._core._cell import ActorCell
from actors._core._log import logger

__all__ = ["Shutdown"]


class Shutdown:
    """A system's shutdown state and steps: whether it is closing, the future set once it
    has shut down, the shutdown a failure started, and the tasks it must wait for.

    ``tasks`` is never rebound (it is pruned in place): the system hands this very set to
    its cells, which remove their own task when their coroutine ends.
    """

    __slots__ = ("_prune_at", "_system_name", "closed", "closing", "task", "tasks")

    def __init__(self, system_name: str) -> None:
        self._system_name = system_name
        # Invariant: once `closing` is set no actor is spawned.
        self.closing = False
        # Set when the system is bound to its loop; done once the shutdown completed.
        self.closed: asyncio.Future[None] | None = None
        # The shutdown started from inside an actor or by a failure (nothing awaits it).
        self.task: asyncio.Task[None] | None = None
        self.tasks: set[asyncio.Task[None]] = set()
        self._prune_at = 1024

    def is_closing(self) -> bool:
        """True once the shutdown began: nothing is spawned from then on."""
        return self.closing

    def track(self, task: asyncio.Task[None]) -> None:
        """Have the shutdown wait for ``task`` (see ``reap``)."""
        # The tasks shutdown must wait for: incarnation tasks the runtime cancelled (they may
        # still run cleanup code; a running incarnation's task is its cell's `task`, and every
        # cell is stopped, so cancelled, before reap) and helper tasks. Incarnation tasks
        # remove themselves when their coroutine ends (no done callback per task); one
        # cancelled before its first step never runs that code, so finished tasks are also
        # pruned now and then; reap skips them too.
        tasks = self.tasks
        tasks.add(task)
        if len(tasks) > self._prune_at:
            tasks.difference_update([tracked for tracked in tasks if tracked.done()])
            self._prune_at = max(1024, 2 * len(tasks))

    async def stop_within(
        self, loop: asyncio.AbstractEventLoop, cell: ActorCell, deadline: float | None
    ) -> None:
        """Stop ``cell`` gracefully within its own shutdown time and the ``deadline``; kill it
        (reason ``timeout``) if it is still running when the deadline has passed, whoever
        began its stop and with whatever limit."""
        remaining = None if deadline is None else deadline - loop.time()
        if remaining is not None and remaining <= 0:
            cell.stop_overdue(0.0)
            return
        own = cell.shutdown_timeout
        cell.request_stop(
            remaining if own is None else own if remaining is None else min(own, remaining)
        )
        if remaining is None:
            await cell.wait_stopped()
            return
        try:
            await asyncio.wait_for(cell.wait_stopped(), remaining)
        except TimeoutError:
            cell.stop_overdue(remaining)

    async def reap(self, loop: asyncio.AbstractEventLoop, deadline: float | None) -> None:
        """Wait (briefly) for incarnation tasks that were cancelled to finish; log those
        abandoned (``system.tasks_abandoned``)."""
        current = asyncio.current_task()
        pending = {task for task in self.tasks if not task.done() and task is not current}
        if not pending:
            return
        # Cancelled tasks end within a loop iteration or two; one that swallows cancellation
        # is abandoned after at most a second, and sooner when the shutdown's time is up.
        wait = 1.0
        if deadline is not None:
            wait = min(wait, max(0.1, deadline - loop.time()))
        _, still = await asyncio.wait(pending, timeout=wait)
        if still:
            logger.error(
                "system.tasks_abandoned",
                system=self._system_name,
                tasks=sorted(task.get_name() for task in still),
            )
