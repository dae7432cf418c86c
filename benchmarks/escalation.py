"""Escalation through a chain of N supervisors: the cost per level, at N = 1, 10 and 100.

    python -m benchmarks.escalation                    # N = 1, 10, 100; 30 failures each
    python -m benchmarks.escalation --depths 1,10,100,200 --failures 50

A chain of N supervisors (``OneForOne``), every level but the root with ``max_restarts=0``,
holds one worker at the bottom. The worker fails; its parent gives up, and so does every level
above it, up to the root, which restarts its child and so rebuilds the whole chain. Measured:
the time from the failing ``tell`` to the new worker's ``on_start``, and that divided by N
(one climb plus one supervisor rebuilt), in wall-clock time and in this process's CPU time
(which a busy machine does not inflate). For comparison, ``plain`` is a restart by the
worker's own parent (the root's budget at the bottom level) at the same depth. The runtime
must be linear in N: the cost per level the same at N=10 and N=100, a few restart latencies.

The runtime only (the other implementations of ``benchmarks.run`` have no supervision trees
to compare), with logging off (level ``critical``), or with ``--logging`` at ``info`` into a
sink, as ``benchmarks.run`` does for its non-lean variant. Each depth gets a fresh event loop
and a garbage collection before it.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import time
from collections.abc import Sequence
from typing import Any

from actors import Actor, ActorSystem
from benchmarks._common import configure_logging, percentile, settle
from supervision import ChildSpec, OneForOne, Supervisor

__all__ = ["chain_latencies", "main"]


class _Leaf(Actor):
    def __init__(self, started: list[asyncio.Future[tuple[float, float]]]) -> None:
        self.started = started

    async def on_start(self) -> None:
        if self.started:
            waiting = self.started.pop()
            if not waiting.done():
                waiting.set_result((time.perf_counter(), time.process_time()))

    async def receive(self, message: Any) -> Any:
        raise RuntimeError("leaf failed")


class _Level(Supervisor):
    """One level of the chain: its own restart budget, ``inner`` for the levels below."""

    def __init__(
        self,
        depth: int,
        started: list[asyncio.Future[tuple[float, float]]],
        budget: int,
        inner: int,
    ) -> None:
        self.strategy = OneForOne(max_restarts=budget, within=3600.0)
        if depth == 1:
            self.children = [ChildSpec("leaf", functools.partial(_Leaf, started))]
        else:
            factory = functools.partial(_Level, depth - 1, started, inner, inner)
            self.children = [ChildSpec("s", factory)]


async def _latencies(depth: int, failures: int, *, escalate: bool) -> list[tuple[float, float]]:
    started: list[asyncio.Future[tuple[float, float]]] = []
    loop = asyncio.get_running_loop()
    async with ActorSystem("escalation", metrics=False) as system:
        # Escalating: only the root may restart. Plain: every level may, so the leaf's
        # parent restarts it.
        inner = 0 if escalate else failures
        await system.spawn(functools.partial(_Level, depth, started, failures, inner), name="chain")
        path = "/chain" + "/s" * (depth - 1) + "/leaf"
        latencies = []
        for _ in range(failures):
            leaf = system.lookup(path)
            if leaf is None:
                raise RuntimeError(f"no worker at {path}")
            done: asyncio.Future[tuple[float, float]] = loop.create_future()
            started.append(done)
            begin, begin_cpu = time.perf_counter(), time.process_time()
            await leaf.tell("fail")
            end, end_cpu = await asyncio.wait_for(done, 60.0)
            latencies.append((end - begin, end_cpu - begin_cpu))
    return latencies


def chain_latencies(
    depth: int, failures: int, *, escalate: bool = True
) -> list[tuple[float, float]]:
    """For each of ``failures`` worker failures in a chain of ``depth`` supervisors: the
    seconds from the failing ``tell`` to the replacement's ``on_start``, wall-clock and CPU
    time of this process (the CPU time is the work, whatever else the machine runs);
    ``escalate=False`` measures a restart by the worker's own parent instead. Raises
    ``ValueError`` for ``depth < 1`` or ``failures < 1``."""
    if depth < 1 or failures < 1:
        raise ValueError(f"depth and failures must be >= 1, got {depth} and {failures}")
    settle()
    return asyncio.run(_latencies(depth, failures, escalate=escalate))


def _depths(text: str) -> list[int]:
    try:
        depths = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected depths like 1,10,100, got {text!r}") from None
    if not depths or min(depths) < 1:
        raise argparse.ArgumentTypeError(f"expected depths >= 1, got {text!r}")
    return depths


def main(argv: Sequence[str] | None = None) -> int:
    """Print, per depth, the median and p90 escalation latency, the cost per level and the
    plain restart latency; return 0."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.escalation")
    parser.add_argument("--depths", type=_depths, default=[1, 10, 100], metavar="N,N,...")
    parser.add_argument("--failures", type=int, default=30, metavar="K")
    parser.add_argument("--logging", action="store_true", help="log at info into a sink")
    args = parser.parse_args(argv)
    if args.failures < 1:
        parser.error("--failures must be >= 1")
    configure_logging(args.logging)
    print(
        f"{'N':>5} {'escalation p50':>15} {'p90':>10} {'per level':>10}"
        f" {'CPU per level':>14} {'plain p50':>10} {'plain CPU':>10}"
    )
    for depth in args.depths:
        escalated = chain_latencies(depth, args.failures)
        plain = chain_latencies(depth, args.failures, escalate=False)
        wall = [sample[0] for sample in escalated]
        p50 = percentile(wall, 0.5)
        cpu = percentile([sample[1] for sample in escalated], 0.5)
        print(
            f"{depth:>5} {p50 * 1e6:>12.0f} us {percentile(wall, 0.9) * 1e6:>7.0f} us"
            f" {p50 / depth * 1e6:>7.1f} us {cpu / depth * 1e6:>11.1f} us"
            f" {percentile([s[0] for s in plain], 0.5) * 1e6:>7.0f} us"
            f" {percentile([s[1] for s in plain], 0.5) * 1e6:>7.0f} us"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
