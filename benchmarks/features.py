"""What each failure-handling feature costs on S1: tell throughput with one feature on,
against the runtime as configured by default, measured in one run with the rounds
interleaved (each round runs every case once, in order), so that a quiet or a busy moment of
the machine falls on every case alike.

    python -m benchmarks.features              # S1's 200,000 tells a case, best of 5
    python -m benchmarks.features --quick      # 20,000 tells a case, best of 3
    python -m benchmarks.features --messages 50000 --rounds 7

The workload is S1 from a handler (``benchmarks.runtime.s1_tell``: one actor tells ``n``
messages to another from inside its handler), with:

- the default configuration (the loop monitor on, its threshold 0.1 s): the baseline;
- a ``Retry(3)`` declared on the receiver (no message fails: the cost of having it);
- ``handler_timeout=60.0`` on the receiver (every handler runs under a timeout);
- the loop monitor off (``loop_block_threshold=None``);
- an inherited deadline: the sender's handler runs under an ask with a 60 s timeout, so
  every tell it makes carries the remaining time and the receiver checks it.

Wall-clock messages per second, best of the rounds, and the ratio to the baseline (1.00x:
no cost; 0.90x: 10 % fewer messages per second).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any

from actors import Retry
from benchmarks import runtime
from benchmarks._common import FULL, QUICK, Result, configure_logging

__all__ = ["CASES", "main", "measure"]

Case = Callable[[int], Coroutine[Any, Any, Result]]

BASELINE = "default config (loop monitor on, 0.1 s)"

CASES: list[tuple[str, Case]] = [
    (BASELINE, partial(runtime.s1_tell, False, inside=True)),
    (
        "retry policy declared (Retry(3), no failures)",
        partial(runtime.s1_tell, False, inside=True, sink_options={"retry": Retry(3)}),
    ),
    (
        "handler_timeout=60.0",
        partial(runtime.s1_tell, False, inside=True, sink_options={"handler_timeout": 60.0}),
    ),
    (
        "loop monitor off",
        partial(runtime.s1_tell, False, inside=True, system_options={"loop_block_threshold": None}),
    ),
    (
        "inherited deadline (tells under a 60 s ask)",
        partial(runtime.s1_tell, False, inside=True, deadline=60.0),
    ),
]
"""(label, case): each case takes the number of tells and returns S1's result."""


def measure(n: int, rounds: int) -> list[tuple[str, float]]:
    """The best messages per second of every case over ``rounds`` interleaved rounds of
    ``n`` tells, in the order of ``CASES``.

    Raises ValueError for ``n`` or ``rounds`` below 1.
    """
    if n < 1 or rounds < 1:
        raise ValueError(f"need n >= 1 and rounds >= 1, got n={n}, rounds={rounds}")
    best = [0.0] * len(CASES)
    for _ in range(rounds):
        for index, (_label, case) in enumerate(CASES):
            gc.collect()
            result = asyncio.run(case(n))
            best[index] = max(best[index], result["msgs_per_s"])
    return [(label, rate) for (label, _), rate in zip(CASES, best, strict=True)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.features", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="S1's quick size and 3 rounds (unless given)"
    )
    parser.add_argument("--messages", type=int, default=None, help="tells a case")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds")
    args = parser.parse_args(argv)
    n = args.messages or (QUICK if args.quick else FULL).tell_messages
    rounds = args.rounds or (3 if args.quick else 5)
    configure_logging(True)
    rows = measure(n, rounds)
    base = rows[0][1]
    print(f"S1 tell from a handler: msgs/s, best of {rounds} interleaved rounds of {n:,}")
    print("| feature | msgs/s | vs default |")
    print("|---|---|---|")
    for label, rate in rows:
        print(f"| {label} | {rate:,.0f} | {rate / base:.2f}x |")


if __name__ == "__main__":
    main()
