"""The failure of a whole system: a top-level actor escalated (a root supervisor gave up),
so the system shuts down with that error, cancels the body of its ``async with`` (see
``BodyGuard``) and raises the error from ``wait_closed`` and ``__aexit__``.
``ActorSystem`` holds one ``SystemFailure``."""

from __future__ import annotations

import asyncio

from actors._core._log import logger
from actors._system._body_guard import BodyGuard

__all__ = ["SystemFailure"]


class SystemFailure:
    """The first error a top-level actor escalated (``None`` while the system is sound),
    whether it was raised to a caller yet, and the guard of the ``async with`` body."""

    __slots__ = ("_guard", "_raised", "_system_name", "error")

    def __init__(self, system_name: str) -> None:
        self._system_name = system_name
        self.error: BaseException | None = None
        self._raised = False
        # The task in the body of `async with` (cancelled when the system fails).
        self._guard: BodyGuard | None = None

    def enter_body(self) -> None:
        """The current task enters the system's ``async with`` block."""
        self._guard = BodyGuard(asyncio.current_task())

    def leave_body(self, error: BaseException | None) -> bool:
        """The body left the block with ``error``: whether that is the cancellation the
        failure made (``BodyGuard.exit``)."""
        guard, self._guard = self._guard, None
        return guard is not None and guard.exit(error)

    def record(self, actor: str, error: BaseException) -> None:
        """The top-level actor at ``actor`` escalated ``error``: keep and log the first such
        error (``system.failed``, with its traceback) and cancel the block's body."""
        if self.error is not None:
            return
        self.error = error
        logger.critical(
            "system.failed",
            system=self._system_name,
            actor=actor,
            error=repr(error),
            exc_info=error,
        )
        if self._guard is not None:
            self._guard.system_failed()

    def raise_error(self) -> None:
        """Raise the failure, if any (``wait_closed``)."""
        if self.error is not None:
            self._raised = True
            raise self.error

    def raise_on_exit(self, cancelled_by_us: bool, error: BaseException | None) -> None:
        """Raise the failure from ``__aexit__`` when the failure cancelled the body, or the
        body ended on its own and nobody was told yet; an error of the body's own wins."""
        if self.error is not None and (cancelled_by_us or (error is None and not self._raised)):
            self._raised = True
            raise self.error
