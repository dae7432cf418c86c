"""The cluster-wide event bus against raw nats-py fan-out, in the same run, on one
nats-server on loopback.

    python -m benchmarks.cluster_bus                  # full size, 3 rounds
    python -m benchmarks.cluster_bus --quick          # small size, 1 round
    python -m benchmarks.cluster_bus --json out.json

Scenario (the same payload, a msgpack-encoded ``Item``, on both sides):

- B1 publish to 10 remote subscribers: node ``pub`` publishes N events on one topic with
  ``system.publish``; ten other nodes (ten ``ActorSystem``s, each its own NATS connection)
  each have one subscriber actor, until every subscriber has handled the last. Raw: one
  client publishes N messages, ten other clients' subscription callbacks count them.

The figure of merit is the ratio cluster / raw per round (events per second published and
delivered to all ten); the report gives the median of the rounds. Target (issue 15):
B1 >= 0.7.
"""

from __future__ import annotations

import asyncio
import contextlib
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

SUBSCRIBERS = 10
SIZES = {"full": {"B1": 50_000}, "quick": {"B1": 2_000}}
TARGETS = {"B1": 0.7}
TOPIC = "bench.events"


class TopicCounter(Counter):
    subscriptions = (TOPIC,)


async def _raw(url: str, n: int) -> float:
    sender = await nats.connect(url)
    receivers = [await nats.connect(url) for _ in range(SUBSCRIBERS)]
    dones = [asyncio.Event() for _ in receivers]

    def counter(done: asyncio.Event) -> Callable[[Msg], Awaitable[None]]:
        seen = 0

        async def count(msg: Msg) -> None:
            nonlocal seen
            seen += 1
            if seen == n:
                done.set()

        return count

    try:
        for receiver, done in zip(receivers, dones, strict=True):
            await receiver.subscribe(TOPIC, cb=counter(done), pending_msgs_limit=n + 1)
            await receiver.flush()
        started = time.perf_counter()
        for _ in range(n):
            await sender.publish(TOPIC, PAYLOAD)
        await sender.flush()  # nothing left in the client's buffer
        await _all_set(dones, "raw nats-py")
        return n / (time.perf_counter() - started)
    finally:
        await sender.close()
        for receiver in receivers:
            await receiver.close()


async def _cluster(url: str, n: int) -> float:
    async with contextlib.AsyncExitStack() as stack:
        publisher = await stack.enter_async_context(
            ActorSystem("bench", cluster=node_config(url, "pub"), metrics=False)
        )
        dones = []
        for index in range(SUBSCRIBERS):
            node = await stack.enter_async_context(
                ActorSystem("bench", cluster=node_config(url, f"s{index}"), metrics=False)
            )
            done = asyncio.Event()
            dones.append(done)
            await node.spawn(
                lambda done=done: TopicCounter(n, done), name="counter", capacity=max(n, 1000)
            )
        for index in range(SUBSCRIBERS):
            await publisher.cluster.wait_for(f"s{index}")
            await publisher.cluster.wait_for_subscriber(f"s{index}", TOPIC)
        item = Item(1)
        started = time.perf_counter()
        for _ in range(n):
            await publisher.publish(TOPIC, item)
        await _all_set(dones, "cluster bus")
        return n / (time.perf_counter() - started)


# How long the subscribers may take to see every event (bounded: a lost event is an error
# naming the side, never a hang).
DELIVERY_TIMEOUT = 60.0


async def _all_set(dones: list[asyncio.Event], side: str) -> None:
    try:
        await asyncio.wait_for(asyncio.gather(*(done.wait() for done in dones)), DELIVERY_TIMEOUT)
    except TimeoutError:
        missing = sum(not done.is_set() for done in dones)
        raise RuntimeError(
            f"{side}: {missing} of {len(dones)} subscribers did not see every event within"
            f" {DELIVERY_TIMEOUT}s"
        ) from None


def _side(run: Callable[[str, int], Awaitable[float]], url: str, n: int) -> Callable[[int], float]:
    return lambda _round: measure(run, url, n)


def run(sizes: dict[str, int], rounds: int) -> dict[str, dict[str, Any]]:
    """The scenario, cluster and raw interleaved, ``rounds`` times: the rates (events per
    second, each delivered to all ten subscribers) and the median ratio cluster / raw."""
    results: dict[str, dict[str, Any]] = {}
    with NatsServer() as server:
        for scenario, n in sizes.items():
            sides = {"raw": _raw, "cluster": _cluster}
            rates = interleaved(rounds, {k: _side(v, server.url, n) for k, v in sides.items()})
            results[scenario] = ratio_row(n, "cluster", rates, TARGETS[scenario])
    return results


def main(argv: list[str] | None = None) -> None:
    quick, rounds, json_file = options(__doc__, argv)
    results = run(SIZES["quick" if quick else "full"], rounds)
    print(f"{'scenario':<32} {'n':>8} {'cluster/s':>10} {'raw/s':>10} {'ratio':>6} target")
    for scenario, row in results.items():
        name = f"{scenario} publish to {SUBSCRIBERS} remote subscribers"
        print(
            f"{name:<32} {row['n']:>8} {row['cluster_per_s']:>10.0f}"
            f" {row['raw_per_s']:>10.0f} {row['ratio']:>6.2f} >= {row['target']}"
        )
    write_json(json_file, results)


if __name__ == "__main__":
    main()
