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

import asyncio
import time
from typing import Any

import msgspec
import nats
import nats.errors
from nats.js import api

from actors import ActorSystem, DurableStream
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

WINDOW = 256
FETCH = 256
MAX_ACK_PENDING = 1024
SIZES = {"full": 30_000, "quick": 3_000}
TARGET = 0.7


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

    async with (
        ActorSystem(
            system_name, cluster=node_config(url, "a", streams=streams), metrics=False
        ) as a,
        ActorSystem(
            system_name, cluster=node_config(url, "b", streams=streams), metrics=False
        ) as b,
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


def run(n: int, rounds: int) -> dict[str, Any]:
    """D1, durable and raw interleaved, ``rounds`` times: the median rates (per second) and
    the median ratio durable / raw."""
    with NatsServer(jetstream=True) as server:
        rates = interleaved(
            rounds,
            {
                "raw": lambda round_: measure(_raw, server.url, n, round_),
                "durable": lambda round_: measure(_durable, server.url, n, round_),
            },
        )
        server.close()
    return ratio_row(n, "durable", rates, TARGET)


def main(argv: list[str] | None = None) -> None:
    quick, rounds, json_file = options(__doc__, argv)
    row = run(SIZES["quick" if quick else "full"], rounds)
    print(f"{'scenario':<28} {'n':>8} {'durable/s':>10} {'raw/s':>10} {'ratio':>6} target")
    print(
        f"{'D1 durable publish+consume':<28} {row['n']:>8} {row['durable_per_s']:>10.0f}"
        f" {row['raw_per_s']:>10.0f} {row['ratio']:>6.2f} >= {row['target']}"
    )
    write_json(json_file, row)


if __name__ == "__main__":
    main()
