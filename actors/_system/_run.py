"""``run``: ``asyncio.run`` for an application of actors, with a teardown that cannot hang.

``asyncio.run`` ends by cancelling every task left and waiting for all of them without a
limit. A task that ignores cancellation (a handler or ``on_stop`` that swallows
``CancelledError``), which ``ActorSystem.shutdown`` has already abandoned and reported, then
keeps the process alive for ever. ``run`` waits for the leftovers a bounded time and leaves
behind, reported, whatever is still running after it.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from actors._core._log import logger

__all__ = ["close_loop", "run"]

T = TypeVar("T")

ABANDON_AFTER = 1.0
"""Seconds ``run`` waits, at the end, for the tasks it cancels (and for async generators)."""


def run(
    main: Coroutine[Any, Any, T],
    *,
    debug: bool | None = None,
    abandon_after: float = ABANDON_AFTER,
    loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None,
) -> T:
    """Run the coroutine ``main`` on a new event loop, close the loop, and return its result
    (or raise its exception), as ``asyncio.run`` does, except that the end is bounded.

    Once ``main`` has returned, every task still pending is cancelled and given
    ``abandon_after`` seconds to finish; one that ignores its cancellation is left behind and
    logged (``run.tasks_abandoned``, with the task names) instead of being waited for without
    limit. Async generators and the default executor's shutdown get the same bound.

    ``loop_factory`` makes the loop (``asyncio.new_event_loop`` by default;
    ``uvloop.new_event_loop`` for uvloop), as ``asyncio.Runner``'s does.

    Use it as the entry point of an application that embeds an ``ActorSystem``::

        if __name__ == "__main__":
            sys.exit(actors.run(main()))

    Raises TypeError when ``main`` is not a coroutine, ValueError when ``abandon_after`` is
    not a finite number >= 0, RuntimeError when called from a running event loop; whatever
    ``main`` raises propagates.
    """
    if not asyncio.iscoroutine(main):
        raise TypeError(f"run() needs a coroutine, got {main!r}")
    if (
        isinstance(abandon_after, bool)
        or not isinstance(abandon_after, int | float)
        or not math.isfinite(abandon_after)
        or abandon_after < 0
    ):
        main.close()
        raise ValueError(f"abandon_after must be a finite number >= 0, got {abandon_after!r}")
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        main.close()
        raise RuntimeError("actors.run() cannot be called from a running event loop")
    loop = (asyncio.new_event_loop if loop_factory is None else loop_factory)()
    if debug is not None:
        loop.set_debug(debug)
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(main)
    finally:
        try:
            close_loop(loop, abandon_after)
        finally:
            asyncio.set_event_loop(None)


def close_loop(loop: asyncio.AbstractEventLoop, abandon_after: float) -> list[asyncio.Task[Any]]:
    """Cancel the tasks left on ``loop``, wait for them at most ``abandon_after`` seconds,
    shut down async generators and the default executor within the same bound, and close
    ``loop``. Returns the tasks still running, which are logged (``run.tasks_abandoned``)."""
    leftovers = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in leftovers:
        task.cancel()
    still: set[asyncio.Task[Any]] = set()
    if leftovers:
        _, still = loop.run_until_complete(asyncio.wait(leftovers, timeout=abandon_after))
    for task in leftovers:
        if task.done() and not task.cancelled() and task.exception() is not None:
            loop.call_exception_handler(
                {
                    "message": "unhandled exception in a task cancelled at the end of run()",
                    "exception": task.exception(),
                    "task": task,
                }
            )
    for name, step in (
        ("shutdown_asyncgens", loop.shutdown_asyncgens()),
        ("shutdown_default_executor", loop.shutdown_default_executor()),
    ):
        loop.run_until_complete(_bounded(name, step, abandon_after))
    abandoned = sorted(still, key=lambda task: task.get_name())
    if abandoned:
        _quiet_when_destroyed(loop, abandoned)
        logger.error(
            "run.tasks_abandoned",
            tasks=[task.get_name() for task in abandoned],
            waited=abandon_after,
        )
    loop.close()
    return abandoned


def _quiet_when_destroyed(
    loop: asyncio.AbstractEventLoop, abandoned: list[asyncio.Task[Any]]
) -> None:
    """Once garbage, an abandoned task would be reported again by asyncio ("Task was destroyed
    but it is pending"): it has been reported already, so that one message is dropped."""
    # By ids (with the name): weak references are cleared before the task's finalizer runs.
    reported = {(id(task), task.get_name()) for task in abandoned}
    previous = loop.get_exception_handler()

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        task = context.get("task")
        if (
            isinstance(task, asyncio.Task)
            and (id(task), task.get_name()) in reported
            and "destroyed" in str(context.get("message"))
        ):
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)


async def _bounded(name: str, step: Coroutine[Any, Any, None], timeout: float) -> None:
    try:
        await asyncio.wait_for(step, timeout)
    except TimeoutError:
        # An async generator or an executor thread that does not finish: not waited for.
        logger.error("run.teardown_timeout", step=name, waited=timeout)
