"""``handler_timeout``: a limit on how long one handler may run.

The limit is applied by wrapping an incarnation's ``receive`` once, when it starts (as
tracing does), so an actor without a ``handler_timeout`` pays nothing per message. The
wrapper is a coroutine function either way:

- an ``async def receive`` is watched by one loop timer per incarnation (not one per
  message: a timer armed for the oldest running call, re-armed for the next when it fires
  early): past the limit the handler is cancelled and ``HandlerTimeout`` is raised in its
  place, which fails the actor like any handler error;
- a ``blocking = True`` receive runs in the system's thread pool, which cannot interrupt a
  thread: past the limit the actor stops waiting for it (``HandlerTimeout`` again), and the
  thread is reported (``actor.handler_overrun``) and counted as stuck by the pool until it
  returns; its late result is discarded.

A plain ``def receive`` runs inline on the loop: nothing can stop it midway, so it is not
wrapped (a handler that holds the loop is the blocked-loop detector's business).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from actors._core._handling_errors import HandlerTimeout
from actors._core._log import logger

if TYPE_CHECKING:
    # cycle: typing only; the cell wraps its receive with this, and the wrapper reads the
    # cell it limits (its loop, path, current message and system).
    from actors._core._cell import ActorCell

__all__ = ["limit_handler"]


def limit_handler(
    cell: ActorCell, receive: Callable[[Any], Any], blocking: bool, timeout: float
) -> Callable[[Any], Any]:
    """Wrap ``receive`` (a coroutine function, or a plain function to run in a thread when
    ``blocking``) so that a call running longer than ``timeout`` raises HandlerTimeout."""
    loop = cell.loop

    def overrun(message: Any, started: float) -> HandlerTimeout:
        current = cell.current
        return HandlerTimeout(
            f"the handler was still running after its handler_timeout of {timeout}s",
            timeout=timeout,
            elapsed=loop.time() - started,
            path=cell.path,
            message_type=type(message).__name__,
            correlation_id=None if current is None else current.correlation_id,
        )

    if not blocking:
        return _Watchdog(cell, receive, timeout, overrun).limited

    async def limited_in_thread(message: Any) -> Any:
        started = loop.time()
        context = contextvars.copy_context()
        pool = cell.system._blocking_pool
        future = pool.run(context.run, receive, message)
        done, _ = await asyncio.wait((future,), timeout=timeout)
        if done:
            return future.result()
        error = overrun(message, started)
        pool.stuck(future, cell.path)
        logger.warning(
            "actor.handler_overrun",
            actor=cell.path,
            actor_class=cell.actor_class,
            message_type=error.message_type,
            correlation_id=error.correlation_id,
            timeout=timeout,
            elapsed=error.elapsed,
        )
        raise error

    return limited_in_thread


class _Watchdog:
    """The limit on an incarnation's ``async def`` handler: one loop timer, armed at the
    first call's limit and, when it fires, either cancelling the call still running past its
    limit or re-arming for the limit of the call running now (if any). A call costs a clock
    read and a few assignments, not a timer of its own."""

    __slots__ = (
        "_armed",
        "_calls",
        "_cell",
        "_clock",
        "_fired",
        "_loop",
        "_overrun",
        "_receive",
        "_running",
        "_since",
        "_timeout",
    )

    def __init__(
        self,
        cell: ActorCell,
        receive: Callable[[Any], Any],
        timeout: float,
        overrun: Callable[[Any, float], HandlerTimeout],
    ) -> None:
        self._cell = cell
        self._loop = cell.loop
        self._clock = cell.deadlines.clock  # the loop's clock, as a C call when it can be
        self._receive = receive
        self._timeout = timeout
        self._overrun = overrun
        self._armed: asyncio.TimerHandle | None = None
        self._running = 0  # the number of the call running now (0: none)
        self._since = 0.0  # when it began
        self._fired = 0  # the call the watchdog cancelled
        self._calls = 0  # calls made so far (the last one's number)

    async def limited(self, message: Any) -> Any:
        started = self._clock()
        self._calls = call = self._calls + 1
        self._running = call
        self._since = started
        if self._armed is None:
            self._armed = self._loop.call_at(started + self._timeout, self._check)
        try:
            result = await self._receive(message)
        except asyncio.CancelledError:
            if self._fired != call:
                raise  # cancelled from elsewhere (a halt, a stop, the loop's end)
            self._uncancel()
            raise self._overrun(message, started) from None
        finally:
            self._running = 0
        if self._fired == call:
            self._uncancel()  # the handler caught the cancellation and returned anyway
        return result

    def _uncancel(self) -> None:
        task = self._cell.task
        if task is not None:
            task.uncancel()

    def _check(self) -> None:
        self._armed = None
        call = self._running
        if not call:
            return  # idle: the next call arms the timer again
        limit = self._since + self._timeout
        if self._clock() < limit:
            self._armed = self._loop.call_at(limit, self._check)
            return
        task = self._cell.task
        if task is not None and not task.done():
            self._fired = call
            task.cancel()
