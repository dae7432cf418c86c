"""An asyncio event loop whose clock is virtual and jumps ahead whenever the loop is idle.

Restart windows, backoff schedules, timers and timeouts can then be tested exactly and
instantly: ``await asyncio.sleep(60)`` returns at once and ``loop.time()`` has advanced by
exactly 60. The model is trio's ``MockClock`` with ``autojump_threshold=0``.

Virtual time only governs the loop's timers. Threads (``run_in_executor``,
``asyncio.to_thread``) and real I/O still run in real time, and the clock jumps whenever the
loop has nothing ready and no I/O event is pending *at that instant*, even if a thread or a
peer is about to deliver a result. See `VirtualTimeLoop` for what to do about that.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
import selectors
import time
from collections.abc import Callable, Coroutine, Iterator, Mapping
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any, TypeVar, TypeVarTuple, Unpack

if TYPE_CHECKING:
    from _typeshed import FileDescriptorLike

__all__ = ["VirtualTimeLoop", "new_virtual_loop", "run_virtual", "virtual_time"]

T = TypeVar("T")
Ts = TypeVarTuple("Ts")


class _IdleHook(selectors.BaseSelector):
    """A selector that polls the real one without blocking, and tells the loop when idle.

    ``BaseEventLoop._run_once`` computes ``timeout`` from the timer heap and ``loop.time()``,
    so a positive timeout with no I/O ready means "nothing can happen until the next timer":
    exactly the moment to jump the clock instead of sleeping.
    """

    def __init__(self, real: selectors.BaseSelector, loop: VirtualTimeLoop) -> None:
        self._real = real
        self._loop = loop

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        events = self._real.select(0)
        if events or timeout == 0:
            return events
        if timeout is None or not self._loop.autojump:
            # No timer, or time only moves by advance(): wait for real I/O (a socket, or a
            # thread's result arriving through the loop's self-pipe).
            return self._real.select(None)
        if self._loop._threads_busy:
            # Executor work is running in real time: let the clock flow at real speed until
            # a result arrives or the next timer is really due, instead of jumping over it.
            # The real time counted is all that passed since the clock last followed it, not
            # only the time spent in select: a loop kept from running (a loaded machine) must
            # not make the thread's work look shorter than it was.
            events = self._real.select(timeout)
            if events:
                self._loop._follow_real_time(timeout)
                return events
        self._loop._jump_to_next_timer(timeout)
        return []

    def register(
        self, fileobj: FileDescriptorLike, events: int, data: Any = None
    ) -> selectors.SelectorKey:
        return self._real.register(fileobj, events, data)

    def unregister(self, fileobj: FileDescriptorLike) -> selectors.SelectorKey:
        return self._real.unregister(fileobj)

    def modify(
        self, fileobj: FileDescriptorLike, events: int, data: Any = None
    ) -> selectors.SelectorKey:
        return self._real.modify(fileobj, events, data)

    def get_key(self, fileobj: FileDescriptorLike) -> selectors.SelectorKey:
        return self._real.get_key(fileobj)

    def get_map(self) -> Mapping[FileDescriptorLike, selectors.SelectorKey]:
        return self._real.get_map()

    def close(self) -> None:
        self._real.close()


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """A selector event loop whose `time` is a virtual clock, for tests.

    The clock starts at *start* and never moves on its own while callbacks run: code takes no
    virtual time. With *autojump* (the default), whenever the loop would block with a timer
    scheduled, it first polls real I/O without waiting; if nothing is ready it sets the clock to
    the earliest timer's deadline, so that timer fires at once and at its exact virtual time.
    With no timer scheduled the loop blocks on real I/O like any other loop, so sockets and
    ``run_in_executor`` results (which arrive through the self-pipe) work.

    Threads started with `run_in_executor` (so ``asyncio.to_thread`` and blocking actors too)
    are tracked: while any runs, the idle loop waits for real and the clock advances by the real
    time that passed, so a timeout around executor work does not fire early.

    Caveat: a peer over real I/O that needs real time to answer does not stop a jump. While a
    timer is pending (a read timeout, a heartbeat, an SSL handshake timeout), autojump fires
    that timer early. For such tests pass ``autojump=False`` (or set the `autojump` attribute
    to ``False`` for the duration) and move time with `advance`; the idle loop then waits for
    real I/O instead, and waits forever if only timers are left, since nothing but `advance`
    can make them due.

    Attributes:
        autojump: whether the idle loop jumps to the next timer; may be changed at any time
            from the loop's thread.
    """

    def __init__(self, *, start: float = 0.0, autojump: bool = True) -> None:
        # Set before the base __init__ because the selector wrapper refers to them.
        # Invariant: _now never decreases.
        self._now = float(start)
        self.autojump = autojump
        # Executor jobs not yet finished; while any runs, the clock follows real time, from
        # `_real_mark` (the real time it last caught up to).
        self._threads_busy = 0
        self._real_mark = 0.0
        super().__init__(_IdleHook(selectors.DefaultSelector(), self))

    def run_in_executor(
        self, executor: Executor | None, func: Callable[[Unpack[Ts]], T], *args: *Ts
    ) -> asyncio.Future[T]:
        """As the base loop's, and while the job runs virtual time flows at real speed."""
        future = super().run_in_executor(executor, func, *args)
        if not self._threads_busy:
            self._real_mark = time.monotonic()
        self._threads_busy += 1
        future.add_done_callback(self._thread_done)
        return future

    def _thread_done(self, _: asyncio.Future[Any]) -> None:
        self._threads_busy -= 1

    def time(self) -> float:
        """Return the virtual time, in seconds; it moves only by jumps and `advance`."""
        return self._now

    def advance(self, seconds: float) -> None:
        """Move the virtual clock forward by *seconds*; timers now due run on the next iteration.

        Call it from the loop's thread (typically from the test's coroutine); from another
        thread use ``loop.call_soon_threadsafe(loop.advance, seconds)`` so the loop wakes up.
        Raises `ValueError` if *seconds* is negative or not finite: virtual time, like
        ``time.monotonic``, never goes back.
        """
        if not (math.isfinite(seconds) and seconds >= 0):
            raise ValueError(f"can only advance by a finite, non-negative time, got {seconds!r}")
        self._now += seconds

    def _follow_real_time(self, timeout: float) -> None:
        # Advance by the real time since the mark, at most to the next timer (`timeout`).
        now = time.monotonic()
        self._now += min(now - self._real_mark, timeout)
        self._real_mark = now

    def _jump_to_next_timer(self, timeout: float) -> None:
        # _run_once clamps timeout to MAXIMUM_SELECT_TIMEOUT (24 h), and now + (when - now)
        # may round to just below `when`; either way the due timer would not be popped. The
        # head of the heap is the timer the timeout was computed from (_run_once has already
        # discarded cancelled handles at the head), so land exactly on its deadline.
        scheduled: list[asyncio.TimerHandle] = getattr(self, "_scheduled", [])
        deadline = scheduled[0].when() if scheduled else self._now + timeout
        self._now = max(self._now, deadline)

    # 3.12+ Runner.close passes a join timeout; measured on a jumping clock it would expire
    # while the executor's threads are still being joined, and warn.
    # The parameter mirrors the base signature, hence the noqa.
    async def shutdown_default_executor(self, timeout: float | None = None) -> None:
        """Wait for the default executor's threads to finish, ignoring any (virtual) timeout."""
        await super().shutdown_default_executor()


def new_virtual_loop(start: float = 0.0, *, autojump: bool = True) -> VirtualTimeLoop:
    """Return a new `VirtualTimeLoop` whose clock reads *start*; the caller must close it."""
    return VirtualTimeLoop(start=start, autojump=autojump)


class _VirtualTimePolicy(asyncio.DefaultEventLoopPolicy):
    def __init__(self, start: float, autojump: bool) -> None:
        super().__init__()
        self._start = start
        self._autojump = autojump

    def new_event_loop(self) -> VirtualTimeLoop:
        return VirtualTimeLoop(start=self._start, autojump=self._autojump)


@contextlib.contextmanager
def virtual_time(start: float = 0.0, *, autojump: bool = True) -> Iterator[None]:
    """Make every new event loop in the block a `VirtualTimeLoop`.

    Usage: ``with virtual_time(): asyncio.run(main())``. Installs an event loop policy for the
    duration of the block and restores the previous policy on exit, even on error. The policy is
    process-wide, so do not use this while other threads create event loops; `run_virtual` has
    no such effect.
    """
    previous = asyncio.get_event_loop_policy()
    asyncio.set_event_loop_policy(_VirtualTimePolicy(start, autojump))
    try:
        yield
    finally:
        asyncio.set_event_loop_policy(previous)


def run_virtual(main: Coroutine[Any, Any, T], *, start: float = 0.0, autojump: bool = True) -> T:
    """Run *main* on a fresh `VirtualTimeLoop` and return its result, like `asyncio.run`.

    The loop's clock starts at *start*. The loop is closed afterwards, once remaining tasks are
    cancelled and the default executor's threads have finished.
    """
    factory = functools.partial(VirtualTimeLoop, start=start, autojump=autojump)
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)
