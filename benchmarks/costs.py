"""Where the time of a message goes: CPU time per message for a tell from a handler and an
ask, step by step from raw asyncio and the limit actor to the runtime as configured by
default, measured in one run.

    python -m benchmarks.costs                 # 50,000 messages a case, best of 5
    python -m benchmarks.costs --messages 20000 --rounds 3

CPU time (``time.process_time``) rather than wall time, best of the rounds: other work on
the machine then inflates the figures less. The steps that separate the runtime from the
limit actor are the ones a user can switch off (an ask's timeout, the garbage collector);
what remains between them is the runtime's per-message work (the envelope and its ids, the
ledger, the checks of the serve loop), described in docs/explanation/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any

from benchmarks import limit, raw_asyncio, runtime
from benchmarks._common import asks_in_flight, configure_logging

__all__ = ["main", "measure"]

Case = Callable[[], Coroutine[Any, Any, Any]]

# The steps every other step of its scenario is compared with (they are measured first).
_BASELINES = {"asyncio.Queue": "|asyncio", "limit actor": "|limit"}


def _asks(n: int, in_flight: int, timeout: float | None) -> Case:
    """The runtime's S2 with ``timeout`` for every ask (``None``: no deadline)."""

    async def run() -> None:
        async with runtime._system(False) as system:
            ask = partial((await system.spawn(runtime.Echo)).ask, timeout=timeout)
            if in_flight:
                await asks_in_flight(ask, n, in_flight)
            else:
                for i in range(n):
                    await ask(i)

    return run


def _cases(n: int) -> list[tuple[str, str, Case, bool]]:
    """(group, step, case, with the garbage collector) in the order they are reported."""
    inside: list[tuple[str, str, Case, bool]] = [
        ("S1 tell from a handler", "asyncio.Queue", partial(raw_asyncio.s1_tell, n, True), True),
        ("S1 tell from a handler", "limit actor", partial(limit.s1_tell, n, True), True),
        (
            "S1 tell from a handler",
            "runtime, gc off",
            partial(runtime.s1_tell, False, n, True),
            False,
        ),
        ("S1 tell from a handler", "runtime", partial(runtime.s1_tell, False, n, True), True),
    ]
    asks: list[tuple[str, str, Case, bool]] = []
    for in_flight, label in ((0, "S2 sequential ask"), (100, "S2 100 asks in flight")):
        asks += [
            (label, "asyncio.Queue", partial(raw_asyncio.s2_ask, n, in_flight), True),
            (label, "limit actor", partial(limit.s2_ask, n, in_flight), True),
            (label, "runtime, no timeout", _asks(n, in_flight, None), True),
            (label, "runtime, 60 s timeout", _asks(n, in_flight, 60.0), True),
        ]
    return inside + asks


def measure(n: int, rounds: int) -> list[tuple[str, str, float]]:
    """Best-of-``rounds`` CPU nanoseconds per message of every step, rounds interleaved."""
    cases = _cases(n)
    best = [float("inf")] * len(cases)
    for _ in range(rounds):
        for index, (_group, _step, case, collect) in enumerate(cases):
            gc.collect()
            if not collect:
                gc.disable()
            began = time.process_time()
            try:
                asyncio.run(case())
            finally:
                gc.enable()
            best[index] = min(best[index], (time.process_time() - began) / n * 1e9)
    return [(group, step, ns) for (group, step, _, _), ns in zip(cases, best, strict=True)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.costs", description=__doc__)
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    configure_logging(True)
    rows = measure(args.messages, args.rounds)
    print(f"CPU ns per message, best of {args.rounds} rounds of {args.messages:,}")
    print("| scenario | step | ns/msg | vs asyncio.Queue | vs limit |")
    print("|---|---|---|---|---|")
    base = {group + _BASELINES[step]: ns for group, step, ns in rows if step in _BASELINES}
    for group, step, ns in rows:
        asyncio_ns = base[group + "|asyncio"]
        limit_ns = base[group + "|limit"]
        print(f"| {group} | {step} | {ns:,.0f} | {asyncio_ns / ns:.2f}x | {limit_ns / ns:.2f}x |")


if __name__ == "__main__":
    main()
