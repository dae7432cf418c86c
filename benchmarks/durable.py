"""Durable events against raw nats-py JetStream, in the same run, on one nats-server with
JetStream (file storage) on loopback.

    python -m benchmarks.durable                 # full size, 3 rounds
    python -m benchmarks.durable --quick         # small size, 1 round
    python -m benchmarks.durable --json out.json

Scenario D1, durable publish + consume (the same payload, a msgpack-encoded ``Item``, on
both sides; the consumer runs while the events are published; the clock stops when the
last event was handled):

- durable: ``system.publish`` of N events from 256 tasks (each publish returns once the
  server stored the event, so 256 are in flight), to an actor subscribed with ``durable=``
  (``max_ack_pending`` 1024) on a second node;
- raw: ``publish_async`` of N events with a window of 256, then waiting for every
  acknowledgement; on a second client, a pull consumer (``max_ack_pending`` 1024) doing
  ``fetch(256)`` and ``ack`` per message.

The figure of merit is the ratio durable / raw, per round; the report gives the median.
Target (issue 15): >= 0.7.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
import nats
import nats.errors
from nats.js import api

from actors import Actor, ActorSystem, ClusterConfig, DurableStream
from actors.testing import NatsServer

__all__ = ["main", "run"]

WINDOW = 256
FETCH = 256
MAX_ACK_PENDING = 1024
SIZES = {"full": 30_000, "quick": 3_000}
TARGET = 0.7


class Item(msgspec.Struct):
    n: int
    payload: str = "x" * 32


PAYLOAD = msgspec.msgpack.encode(Item(1))


class Counter(Actor):
    def __init__(self, total: int, done: asyncio.Event) -> None:
        self.total = total
        self.seen = 0
        self.done = done

    def receive(self, message: Any) -> None:
        self.seen += 1
        if self.seen == self.total:
            self.done.set()


async def _raw(url: str, n: int, round_: int) -> float:
    publisher = await nats.connect(url)
    consumer = await nats.connect(url)
    name = f"raw{round_}"
    try:
        js = publisher.jetstream(publish_async_max_pending=WINDOW)
        await js.add_stream(name=name, subjects=[f"{name}.>"])
        cjs = consumer.jetstream()
        await cjs.add_consumer(
            name,
            api.ConsumerConfig(
                durable_name="billing",
                ack_policy=api.AckPolicy.EXPLICIT,
                max_ack_pending=MAX_ACK_PENDING,
            ),
        )
        subscription = await cjs.pull_subscribe_bind(durable="billing", stream=name)

        async def consume() -> None:
            seen = 0
            while seen < n:
                try:
                    messages = await subscription.fetch(FETCH, timeout=1)
                except nats.errors.TimeoutError:
                    continue
                for message in messages:
                    Item(**msgspec.msgpack.decode(message.data, type=dict))
                    await message.ack()
                    seen += 1

        started = time.perf_counter()
        consuming = asyncio.get_running_loop().create_task(consume())
        subject = f"{name}.paid"
        for _ in range(n):
            await js.publish_async(subject, PAYLOAD)
        await js.publish_async_completed()
        await consuming
        rate = n / (time.perf_counter() - started)
        await js.delete_stream(name)
        return rate
    finally:
        await publisher.close()
        await consumer.close()


async def _durable(url: str, n: int, round_: int) -> float:
    system_name = f"bench{round_}"
    streams = [DurableStream(name="orders", subjects=["orders.>"])]

    def config(node: str) -> ClusterConfig:
        return ClusterConfig(
            servers=[url], node=node, messages=[Item], heartbeat_timeout=30.0, streams=streams
        )

    async with (
        ActorSystem(system_name, cluster=config("a"), metrics=False) as a,
        ActorSystem(system_name, cluster=config("b"), metrics=False) as b,
    ):
        done = asyncio.Event()
        ref = await b.spawn(lambda: Counter(n, done), name="counter", capacity=MAX_ACK_PENDING)
        await b.subscribe(ref, "orders.>", durable="billing", max_ack_pending=MAX_ACK_PENDING)
        item = Item(1)
        started = time.perf_counter()

        async def publisher(count: int) -> None:
            for _ in range(count):
                await a.publish("orders.paid", item)

        # WINDOW publishers, each waiting for its acknowledgement: WINDOW in flight.
        shares = [n // WINDOW + (1 if k < n % WINDOW else 0) for k in range(WINDOW)]
        await asyncio.gather(*(publisher(share) for share in shares))
        await done.wait()
        rate = n / (time.perf_counter() - started)
    nc = await nats.connect(url)
    try:
        await nc.jetstream().delete_stream(f"{system_name}_orders")
    finally:
        await nc.close()
    return rate


def _measure(run: Callable[[str, int, int], Awaitable[float]], *arguments: Any) -> float:
    gc.collect()
    rate: float = asyncio.run(run(*arguments))  # type: ignore[arg-type]
    return rate


def run(n: int, rounds: int) -> dict[str, Any]:
    """D1, durable and raw interleaved, ``rounds`` times: the median rates (per second) and
    the median ratio durable / raw."""
    durable: list[float] = []
    raw: list[float] = []
    with NatsServer(jetstream=True) as server:
        for round_ in range(rounds):
            order = [("raw", raw), ("durable", durable)]
            if round_ % 2:
                order.reverse()
            for kind, rates in order:
                measure = _raw if kind == "raw" else _durable
                rates.append(_measure(measure, server.url, n, round_))
        server.close()
    ratios = [d / r for d, r in zip(durable, raw, strict=True)]
    return {
        "n": n,
        "durable_per_s": statistics.median(durable),
        "raw_per_s": statistics.median(raw),
        "ratio": statistics.median(ratios),
        "target": TARGET,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--json", metavar="FILE")
    options = parser.parse_args(argv)
    import logging

    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    n = SIZES["quick" if options.quick else "full"]
    rounds = options.rounds or (1 if options.quick else 3)
    row = run(n, rounds)
    print(f"{'scenario':<28} {'n':>8} {'durable/s':>10} {'raw/s':>10} {'ratio':>6} target")
    print(
        f"{'D1 durable publish+consume':<28} {row['n']:>8} {row['durable_per_s']:>10.0f}"
        f" {row['raw_per_s']:>10.0f} {row['ratio']:>6.2f} >= {row['target']}"
    )
    if options.json:
        with open(options.json, "w") as out:
            json.dump(row, out, indent=2)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
