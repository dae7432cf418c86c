"""What every implementation shares: sizes, results, clocks, memory, loops and logging.

Nothing here knows about a particular implementation; the implementation modules
(``runtime``, ``raw_asyncio``, ``limit``, ``pykka_impl``, ``thespian_impl``,
``xoscar_impl``) import from here, and ``run`` drives them.
"""

from __future__ import annotations

import asyncio
import gc
import os
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

__all__ = [
    "FULL",
    "QUICK",
    "SINK",
    "NotApplicable",
    "Result",
    "Sizes",
    "asks_in_flight",
    "configure_logging",
    "loop_factory",
    "memory_bytes",
    "percentile",
    "rss_bytes",
    "run_loop",
    "settle",
]

T = TypeVar("T")

# Scenario results are flat dicts of metric name -> value; run.py knows each metric's unit
# and direction (see report.METRICS).
Result = dict[str, float]


class NotApplicable(Exception):
    """An implementation cannot run a scenario (or a size of it); the message says why and
    is printed in the table in place of a figure."""


@dataclass(frozen=True)
class Sizes:
    """How big each scenario is. ``FULL`` is the issue's definition; ``QUICK`` keeps the same
    shapes at a size that runs the whole suite in well under a minute."""

    tell_messages: int  # S1
    asks: int  # S2, sequential
    ask_in_flight: tuple[int, ...]  # S2, asks kept in flight at once (each a case)
    spawn_counts: tuple[int, ...]  # S3
    subscribers: int  # S4
    events: int  # S4, per subscriber
    failures: int  # S5
    chaos_seconds: float  # S6
    chaos_actors: int  # S6, actors in the 3-level tree (root included)


FULL = Sizes(
    tell_messages=200_000,
    asks=20_000,
    ask_in_flight=(1, 100, 10_000),
    spawn_counts=(10_000, 100_000),
    subscribers=100,
    events=10_000,
    failures=1_000,
    chaos_seconds=10.0,
    chaos_actors=100,
)

QUICK = Sizes(
    tell_messages=20_000,
    asks=2_000,
    ask_in_flight=(1, 100, 10_000),
    spawn_counts=(1_000,),
    subscribers=100,
    events=200,
    failures=200,
    chaos_seconds=0.5,
    chaos_actors=100,
)


def percentile(samples: list[float], fraction: float) -> float:
    """The ``fraction`` quantile (0..1) of ``samples``, nearest rank on the sorted list."""
    ordered = sorted(samples)
    if not ordered:
        raise ValueError("no samples")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    """The resident set size of this process now (Linux ``/proc/self/statm``)."""
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[1]) * _PAGE_SIZE


def memory_bytes(traced: bool) -> int:
    """The memory S3 reads before and after its spawns: the bytes tracemalloc traces now when
    ``traced`` (tracing must have been started), else the resident set (``rss_bytes``)."""
    if traced:
        if not tracemalloc.is_tracing():
            raise RuntimeError("memory_bytes(traced=True) needs tracemalloc.start() first")
        return tracemalloc.get_traced_memory()[0]
    return rss_bytes()


def settle() -> None:
    """Collect garbage before a measurement so that one implementation's leftovers are not
    charged to the next."""
    gc.collect()
    gc.collect()


def loop_factory(loop: str) -> Callable[[], asyncio.AbstractEventLoop]:
    if loop == "uvloop":
        import uvloop

        return uvloop.new_event_loop
    if loop == "asyncio":
        return asyncio.new_event_loop
    raise ValueError(f"unknown event loop {loop!r}")


def run_loop(loop: str, main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run ``main()`` in a fresh event loop of the given kind (``asyncio`` or ``uvloop``).

    The loop is also made the thread's current loop, as ``asyncio.run`` does (a Runner with a
    loop factory does not, and xoscar looks the loop up with ``get_event_loop``).
    """

    async def current() -> T:
        asyncio.set_event_loop(asyncio.get_running_loop())
        return await main()

    try:
        with asyncio.Runner(loop_factory=loop_factory(loop)) as runner:
            return runner.run(current())
    finally:
        asyncio.set_event_loop(None)


class _Sink:
    """A text stream that accepts everything: logs are rendered in full, then discarded, so
    their cost is measured without flooding the terminal."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


SINK = _Sink()


def configure_logging(enabled: bool) -> None:
    """Set up logging as an application would, with ``actors.logging.configure``, writing
    to a sink.

    ``enabled``: the defaults (console format, level ``info``), which also set the standard
    library's root logger to INFO, so the peers' own logs (pykka and thespian log through
    ``logging``) are formatted too. Otherwise level ``critical`` (the "logging off" variant:
    only a system-wide failure would be written).
    """
    from actors.logging import configure

    configure(level="info" if enabled else "critical", stream=SINK)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- S2


async def asks_in_flight(ask: Callable[[int], Awaitable[Any]], n: int, in_flight: int) -> Result:
    """S2 with ``in_flight`` asks outstanding at once, kept the same way for every
    implementation: ``in_flight`` tasks, started together, each asking in turn (``n`` asks
    in all, spread evenly). The time runs from starting the tasks to the last answer; the
    latency of an ask includes its wait for room in the mailbox."""
    if not 1 <= in_flight <= n:
        raise ValueError(f"in_flight must be between 1 and n={n}, got {in_flight}")
    clock = time.perf_counter
    latencies: list[float] = []
    record = latencies.append

    async def asker(count: int) -> None:
        for i in range(count):
            sent = clock()
            await ask(i)
            record(clock() - sent)

    share, extra = divmod(n, in_flight)
    start = clock()
    await asyncio.gather(*(asker(share + (w < extra)) for w in range(in_flight)))
    elapsed = clock() - start
    return {
        "asks_per_s": n / elapsed,
        "p50_us": percentile(latencies, 0.5) * 1e6,
        "p99_us": percentile(latencies, 0.99) * 1e6,
    }


# --------------------------------------------------------------------------- S5

WORK, FAIL = "work", "fail"


class Boom(Exception):
    """The failure the restart scenario (S5) injects."""


class RestartLog:
    """S5's measurements, kept the same way for every implementation: the time from each
    failure to the next message handled by the fresh incarnation."""

    def __init__(self, expected: int) -> None:
        self.expected = expected  # messages to handle (WORK) before the run is over
        self.failed_at: float | None = None
        self.restarts: list[float] = []
        self.handled = 0
        self.end = 0.0

    def fail(self) -> NoReturn:
        """Note a failure (its first attempt, for a library that retries) and raise it."""
        if self.failed_at is None:
            self.failed_at = time.perf_counter()
        raise Boom("fails on purpose")

    def work(self) -> bool:
        """Note one handled message; True once the last expected one was handled."""
        now = time.perf_counter()
        if self.failed_at is not None:
            self.restarts.append(now - self.failed_at)
            self.failed_at = None
        self.handled += 1
        if self.handled == self.expected:
            self.end = now
            return True
        return False

    def result(self, start: float, messages: int) -> Result:
        return {
            "restart_p50_us": percentile(self.restarts, 0.5) * 1e6,
            "restart_p99_us": percentile(self.restarts, 0.99) * 1e6,
            "msgs_per_s": messages / (self.end - start),
        }


# --------------------------------------------------------------------------- S4


class FanoutLog:
    """S4's completion, kept the same way for every implementation: each subscriber counts its
    events, and the last one to have seen them all ends the run."""

    def __init__(self, subscribers: int, events: int) -> None:
        self.subscribers = subscribers
        self.events = events
        self.remaining = subscribers  # subscribers that have not seen every event yet
        self.end = 0.0

    def seen(self, count: int) -> bool:
        """A subscriber has now seen ``count`` events; True when that ends the run. (With
        subscribers on several threads, call it under a lock.)"""
        if count != self.events:
            return False
        self.remaining -= 1
        if self.remaining:
            return False
        self.end = time.perf_counter()
        return True

    def result(self, start: float) -> Result:
        return {"deliveries_per_s": self.subscribers * self.events / (self.end - start)}


# --------------------------------------------------------------------------- the scenarios

_SCENARIO_FUNCTIONS = {
    "S1": "s1_tell",
    "S2": "s2_ask",
    "S3": "s3_spawn",
    "S4": "s4_fanout",
    "S5": "s5_restart",
    "S6": "s6_chaos",
}


def scenario_table(namespace: dict[str, Any]) -> dict[str, Callable[..., Any]]:
    """The scenario functions an implementation module defines (``s1_tell`` ...), by name."""
    return {name: namespace[function] for name, function in _SCENARIO_FUNCTIONS.items()}
