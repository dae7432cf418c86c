"""The blocked-loop detector: a thread that notices when the event loop stops running, and
names the actor and message whose handler holds it.

Nothing is added per message. A daemon thread wakes every ``threshold / 2`` seconds: when its
last probe has run, it posts the next one onto the loop (``call_soon_threadsafe``); when it
has not, the loop is held by whatever runs now: the thread reads the loop's current task,
finds the actor whose incarnation task it is, and reads the envelope its cell already keeps
for the message being handled (``cell.current``). When the probe finally
runs, on the loop, it logs ``loop.blocked`` (rate-limited per actor) with how long it waited
and who held the loop. Every probe's wait is a sample of the loop's lag (a histogram).

The probe's wait measures a block from the moment the probe was posted, so a block is seen
as up to ``threshold / 2`` shorter than it was (more when a loaded machine wakes the thread
late), and one shorter than that may go unseen.
Time is ``time.monotonic``: a block is real time, whatever clock the loop runs on.
"""

from __future__ import annotations

import asyncio
import bisect
import threading
import time
from collections.abc import Callable, Mapping

from actors._core._cell import ActorCell
from actors._core._health import LoopHealth
from actors._core._log import log_limited
from actors._core._timers import check_delay

__all__ = ["LAG_BUCKETS", "LoopMonitor"]

LAG_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Upper bounds (seconds) of the loop-lag histogram's buckets."""

DEGRADED_FOR = 60.0
"""How long health stays ``degraded`` after a block longer than the degraded threshold: a
block ends before anything on the loop (such as ``/healthz``) can report it, so the report
must outlive it; a minute spans several probe periods of an orchestrator."""


class LoopMonitor:
    """Watches one system's event loop from a thread of its own (see the module docstring).

    ``start(loop)`` starts the thread (once); ``stop()`` ends it. Everything but the thread's
    own fields is written on the loop's thread only.
    """

    def __init__(
        self,
        system_name: str,
        cells: Mapping[str, ActorCell],
        threshold: float,
        degraded_threshold: float | None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = check_delay("loop_block_threshold", threshold, allow_zero=False)
        if degraded_threshold is not None:
            degraded_threshold = check_delay(
                "loop_degraded_threshold", degraded_threshold, allow_zero=False
            )
            if degraded_threshold < self.threshold:
                raise ValueError(
                    f"loop_degraded_threshold ({degraded_threshold}) must be >="
                    f" loop_block_threshold ({self.threshold})"
                )
        self.degraded_threshold = degraded_threshold
        self._system_name = system_name
        self._cells = cells
        self._clock = clock
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        # When the last probe was posted (written by the thread), and the posting time of the
        # last probe that ran (written by the probe, on the loop): equal when none is waiting.
        self._posted: float | None = None
        self._ran: float | None = None
        # Written by the thread while the loop is held: (when the probe was posted, actor
        # path, message type, task name); read by that probe on the loop.
        self._holder: tuple[float, str | None, str | None, str | None] | None = None
        # Loop lag samples: counts per bucket of LAG_BUCKETS, then the overflow bucket.
        self.lag_counts = [0] * (len(LAG_BUCKETS) + 1)
        self.lag_sum = 0.0
        self.blocked = 0
        self.last_blocked_for: float | None = None
        self.last_actor: str | None = None
        self.last_message_type: str | None = None
        self._degraded_at: float | None = None

    def __repr__(self) -> str:
        return (
            f"<LoopMonitor of system {self._system_name!r} threshold={self.threshold}"
            f" degraded_threshold={self.degraded_threshold} blocked={self.blocked}>"
        )

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start watching ``loop`` (once; later calls do nothing)."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._watch,
            args=(loop,),
            name=f"actors-{self._system_name}-loop-monitor",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop watching; the thread ends within ``threshold / 2`` seconds (it is a daemon,
        so it never holds up the interpreter's exit)."""
        self._stopping.set()

    def health(self) -> LoopHealth:
        """The detector's part of ``ActorSystem.health()``."""
        degraded_at = self._degraded_at
        degraded = degraded_at is not None and self._clock() - degraded_at < DEGRADED_FOR
        return LoopHealth(
            status="degraded" if degraded else "ok",
            threshold=self.threshold,
            degraded_threshold=self.degraded_threshold,
            degraded_for=DEGRADED_FOR,
            blocked=self.blocked,
            last_blocked_for=self.last_blocked_for,
            last_actor=self.last_actor,
            last_message_type=self.last_message_type,
        )

    # ------------------------------------------------------------------ on the thread

    def _watch(self, loop: asyncio.AbstractEventLoop) -> None:
        # One wake-up per period, and nothing the loop must wake this thread for: every
        # hand-over of the GIL between threads costs the loop time on a busy machine.
        period = self.threshold / 2
        stopping = self._stopping
        while not stopping.wait(period):
            posted = self._posted
            if posted is not None and self._ran != posted:
                if loop.is_closed():
                    return
                # The last probe has not run: the loop is held by what runs now. The latest
                # look is kept, the one nearest to the end of the block.
                self._holder = (posted, *self._who_holds(loop))
                continue
            posted = self._posted = self._clock()
            try:
                loop.call_soon_threadsafe(self._probe, posted)
            except RuntimeError:
                return  # the loop is closed: nothing left to watch

    def _who_holds(
        self, loop: asyncio.AbstractEventLoop
    ) -> tuple[str | None, str | None, str | None]:
        """The actor path, message type and task name of what runs on ``loop`` now (read
        from this thread while the loop is held, so nothing on the loop moves meanwhile;
        a snapshot of the cells is taken in one step in case it is not held for long)."""
        task = asyncio.current_task(loop)
        if task is None:
            return None, None, None  # a plain callback, not a task, holds the loop
        for cell in list(self._cells.values()):
            if cell.task is task:
                envelope = cell.current
                message_type = None if envelope is None else type(envelope.message).__name__
                return cell.path, message_type, task.get_name()
        return None, None, task.get_name()

    # ------------------------------------------------------------------ on the loop

    def _probe(self, posted: float) -> None:
        lag = max(0.0, self._clock() - posted)
        self.lag_counts[bisect.bisect_left(LAG_BUCKETS, lag)] += 1
        self.lag_sum += lag
        self._ran = posted
        holder, self._holder = self._holder, None
        if lag < self.threshold:
            return
        actor = message_type = task_name = None
        if holder is not None and holder[0] == posted:
            _, actor, message_type, task_name = holder
        self.blocked += 1
        self.last_blocked_for = lag
        self.last_actor = actor
        self.last_message_type = message_type
        if self.degraded_threshold is not None and lag >= self.degraded_threshold:
            self._degraded_at = self._clock()
        log_limited(
            "warning",
            "loop.blocked",
            actor or task_name,
            system=self._system_name,
            blocked_for=round(lag, 6),
            threshold=self.threshold,
            actor=actor,
            message_type=message_type,
            task=task_name,
        )
