"""``handler_timeout``: a limit on how long one handler may run.

The limit is applied by wrapping an incarnation's ``receive`` once, when it starts (as
tracing does), so an actor without a ``handler_timeout`` pays nothing per message. The
wrapper is a coroutine function either way:

- an ``async def receive`` runs under ``asyncio.timeout``: past the limit it is cancelled and
  ``HandlerTimeout`` is raised in its place, which fails the actor like any handler error;
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

        async def limited(message: Any) -> Any:
            started = loop.time()
            scope = asyncio.timeout(timeout)
            try:
                async with scope:
                    return await receive(message)
            except TimeoutError:
                if scope.expired():
                    raise overrun(message, started) from None
                raise  # the handler's own TimeoutError

        return limited

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
