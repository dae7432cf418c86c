"""Task-group semantics for the body of ``async with ActorSystem() as system:``.

When the system fails (a top-level actor escalated: a root supervisor gave up), the task
running the body is cancelled, as ``asyncio.TaskGroup`` cancels its body when a child task
fails, and the ``async with`` raises the failure instead of ``CancelledError``. Without
this the body would go on running against a closed system and hear of the failure only
when it left the block.
"""

from __future__ import annotations

import asyncio

__all__ = ["BodyGuard"]


class BodyGuard:
    """Watches over the task that entered ``async with`` (one guard per entry)."""

    __slots__ = ("_cancelled", "_task")

    def __init__(self, task: asyncio.Task[object] | None) -> None:
        self._task = task
        # Whether system_failed() cancelled the task (so exit() must uncancel it once).
        self._cancelled = False

    def system_failed(self) -> None:
        """Cancel the body's task, once; nothing if it is the caller or already done."""
        task = self._task
        if self._cancelled or task is None or task.done() or task is asyncio.current_task():
            return
        self._cancelled = True
        task.cancel(msg="the actor system failed")

    def exit(self, error: BaseException | None) -> bool:
        """Called when the body leaves the block with ``error``: whether that error is the
        cancellation this guard made (to be replaced by the system's failure).

        A cancellation from elsewhere as well (``Task.uncancel`` leaves a count above 0)
        is not ours: it propagates, as in a ``TaskGroup``.
        """
        if not self._cancelled:
            return False
        assert self._task is not None
        remaining = self._task.uncancel()
        return isinstance(error, asyncio.CancelledError) and remaining == 0
