"""What the cluster benchmarks (``remote``, ``cluster_bus``, ``durable``) share: the payload,
the counting actor, interleaved rounds against raw nats-py, the ratio row, and the command
line (``--quick``, ``--rounds``, ``--json``, quiet logs)."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import statistics
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
import structlog

from actors import Actor, ClusterConfig

__all__ = [
    "PAYLOAD",
    "Counter",
    "Item",
    "interleaved",
    "measure",
    "node_config",
    "options",
    "ratio_row",
    "write_json",
]


class Item(msgspec.Struct):
    """The message of every scenario, on both sides."""

    n: int
    payload: str = "x" * 32


PAYLOAD = msgspec.msgpack.encode(Item(1))


class Counter(Actor):
    """Counts what it handles and sets ``done`` at the ``total``-th; answers with the message."""

    def __init__(self, total: int, done: asyncio.Event) -> None:
        self.total = total
        self.seen = 0
        self.done = done

    def receive(self, message: Any) -> Any:
        self.seen += 1
        if self.seen == self.total:
            self.done.set()
        return message


def node_config(url: str, node: str, **settings: Any) -> ClusterConfig:
    """The ``ClusterConfig`` of node ``node`` on the server at ``url``: ``Item`` registered,
    a heartbeat timeout long enough that a busy round never loses a member."""
    return ClusterConfig(
        servers=[url], node=node, messages=[Item], heartbeat_timeout=30.0, **settings
    )


def measure(run: Callable[..., Awaitable[float]], *arguments: Any) -> float:
    """Collect garbage, then run the coroutine ``run(*arguments)`` on a fresh event loop;
    its rate (per second)."""
    gc.collect()

    async def main() -> float:
        return await run(*arguments)

    return asyncio.run(main())


def interleaved(rounds: int, sides: dict[str, Callable[[int], float]]) -> dict[str, list[float]]:
    """Run every side once per round (``side(round_)`` returns a rate), in the order given
    on even rounds and reversed on odd ones; the rates per side."""
    rates: dict[str, list[float]] = {name: [] for name in sides}
    for round_ in range(rounds):
        order = list(sides.items())
        if round_ % 2:
            order.reverse()
        for name, side in order:
            rates[name].append(side(round_))
    return rates


def ratio_row(n: int, ours: str, rates: dict[str, list[float]], target: float) -> dict[str, Any]:
    """The report's row: the medians of ``rates[ours]`` (as ``<ours>_per_s``) and
    ``rates["raw"]``, and the median of the per-round ratios ours / raw."""
    ratios = [o / r for o, r in zip(rates[ours], rates["raw"], strict=True)]
    return {
        "n": n,
        f"{ours}_per_s": statistics.median(rates[ours]),
        "raw_per_s": statistics.median(rates["raw"]),
        "ratio": statistics.median(ratios),
        "target": target,
    }


def options(doc: str, argv: list[str] | None) -> tuple[bool, int, str | None]:
    """Parse ``--quick``, ``--rounds`` and ``--json`` and quiet the runtime's logs below
    warnings; ``(quick, rounds, json file)`` (rounds default: 1 quick, 3 full)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--json", metavar="FILE")
    parsed = parser.parse_args(argv)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    quick = bool(parsed.quick)
    rounds: int = parsed.rounds or (1 if quick else 3)
    return quick, rounds, parsed.json


def write_json(path: str | None, results: Any) -> None:
    """Write ``results`` to ``path`` (when given) and flush stdout."""
    if path:
        with open(path, "w") as out:
            json.dump(results, out, indent=2)
    sys.stdout.flush()
