"""Remote actors against raw nats-py, in the same run, on one nats-server on loopback.

    python -m benchmarks.remote                  # full sizes, 3 rounds
    python -m benchmarks.remote --quick          # small sizes, 1 round
    python -m benchmarks.remote --json out.json

Scenarios (the same payload, a msgpack-encoded ``Item``, on both sides):

- R1 tell: node a tells N messages to an actor on node b, until b's actor has handled the
  last; raw: one client publishes N messages, a second client's subscription callback
  counts them.
- R2 ask, sequential: N asks, one at a time; raw: N ``request`` calls answered by a
  subscription callback on a second client.
- R3 ask, 256 in flight: N asks in waves of 256; raw: the same with ``request``.

The figure of merit is the ratio remote / raw of each scenario, per round; the report gives
the median of the rounds. Targets (issue 14): R1 >= 0.7, R2 and R3 >= 0.8.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import nats
from nats.aio.msg import Msg

from actors import ActorSystem
from actors.testing import NatsServer
from benchmarks._nats_bench import (
    PAYLOAD,
    Counter,
    Item,
    interleaved,
    measure,
    node_config,
    options,
    ratio_row,
    write_json,
)

__all__ = ["main", "run"]

IN_FLIGHT = 256
SIZES = {
    "full": {"R1": 100_000, "R2": 5_000, "R3": 50_000},
    "quick": {"R1": 5_000, "R2": 500, "R3": 2_560},
}
TARGETS = {"R1": 0.7, "R2": 0.8, "R3": 0.8}


async def _warm_up(request: Callable[[], Awaitable[Any]]) -> None:
    """One answered request first (the server may still be settling a new subscription);
    bounded: 50 tries."""
    for _attempt in range(50):
        try:
            await request()
            return
        except Exception:  # no responders yet, or a timeout: try again
            await asyncio.sleep(0.01)
    raise RuntimeError("nothing answered the warm-up request")


async def _raw(url: str, scenario: str, n: int) -> float:
    sender = await nats.connect(url)
    receiver = await nats.connect(url)
    done = asyncio.Event()
    seen = 0

    async def count(msg: Msg) -> None:
        nonlocal seen
        seen += 1
        if seen == n:
            done.set()

    async def respond(msg: Msg) -> None:
        await msg.respond(msg.data)

    try:
        if scenario == "R1":
            await receiver.subscribe("bench.tell", cb=count, pending_msgs_limit=n + 1)
            await receiver.flush()
            started = time.perf_counter()
            for _ in range(n):
                await sender.publish("bench.tell", PAYLOAD)
            await done.wait()
        else:
            await receiver.subscribe("bench.ask", cb=respond)
            await receiver.flush()
            await _warm_up(lambda: sender.request("bench.ask", PAYLOAD, timeout=1))
            started = time.perf_counter()
            if scenario == "R2":
                for _ in range(n):
                    await sender.request("bench.ask", PAYLOAD, timeout=10)
            else:
                for _ in range(n // IN_FLIGHT):
                    await asyncio.gather(
                        *(
                            sender.request("bench.ask", PAYLOAD, timeout=10)
                            for _ in range(IN_FLIGHT)
                        )
                    )
        return n / (time.perf_counter() - started)
    finally:
        await sender.close()
        await receiver.close()


async def _remote(url: str, scenario: str, n: int) -> float:
    async with (
        ActorSystem("bench", cluster=node_config(url, "a"), metrics=False) as a,
        ActorSystem("bench", cluster=node_config(url, "b"), metrics=False) as b,
    ):
        await a.cluster.wait_for("b")
        done = asyncio.Event()
        total = n if scenario == "R1" else 0
        await b.spawn(lambda: Counter(total, done), name="counter", capacity=max(n, 1000))
        ref = a.remote_ref("b", "/counter")
        item = Item(1)
        if scenario != "R1":
            await _warm_up(lambda: ref.ask(item, timeout=1))
        started = time.perf_counter()
        if scenario == "R1":
            for _ in range(n):
                ref.tell_nowait(item)
            await done.wait()
        elif scenario == "R2":
            for _ in range(n):
                await ref.ask(item, timeout=10)
        else:
            for _ in range(n // IN_FLIGHT):
                await asyncio.gather(*(ref.ask(item, timeout=10) for _ in range(IN_FLIGHT)))
        return n / (time.perf_counter() - started)


def _side(
    run: Callable[[str, str, int], Awaitable[float]], url: str, scenario: str, n: int
) -> Callable[[int], float]:
    return lambda _round: measure(run, url, scenario, n)


def run(sizes: dict[str, int], rounds: int) -> dict[str, dict[str, Any]]:
    """Every scenario, remote and raw interleaved, ``rounds`` times; per scenario the rates
    (per second) and the median ratio remote / raw."""
    results: dict[str, dict[str, Any]] = {}
    with NatsServer() as server:
        for scenario, n in sizes.items():
            sides = {"raw": _raw, "remote": _remote}
            rates = interleaved(
                rounds, {k: _side(v, server.url, scenario, n) for k, v in sides.items()}
            )
            results[scenario] = ratio_row(n, "remote", rates, TARGETS[scenario])
    return results


def main(argv: list[str] | None = None) -> None:
    quick, rounds, json_file = options(__doc__, argv)
    results = run(SIZES["quick" if quick else "full"], rounds)
    names = {"R1": "tell", "R2": "ask, sequential", "R3": f"ask, {IN_FLIGHT} in flight"}
    print(f"{'scenario':<24} {'n':>8} {'remote/s':>10} {'raw/s':>10} {'ratio':>6} target")
    for scenario, row in results.items():
        print(
            f"{scenario + ' ' + names[scenario]:<24} {row['n']:>8} {row['remote_per_s']:>10.0f}"
            f" {row['raw_per_s']:>10.0f} {row['ratio']:>6.2f} >= {row['target']}"
        )
    write_json(json_file, results)


if __name__ == "__main__":
    main()
