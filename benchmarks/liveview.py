"""The live view's overhead on S1 (one actor, 200,000 tells): the same run without a view,
and with the view served and a page's event stream open (a client reading
``/api/stream`` in the same process, so every snapshot and every update is paid on the
loop being measured).

    .venv/bin/python -m benchmarks.liveview --rounds 5

Rounds alternate the two cases; the report is the median of each and their ratio, as
wall-clock rates and as CPU time per message (the process's CPU time, which other load on
a shared machine disturbs less).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import time
from functools import partial

from actors import ActorSystem
from actors.liveview import serve
from benchmarks.runtime import Sink

MESSAGES = 200_000


async def _read_stream(port: int, updates: list[int], first: asyncio.Event) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /api/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    await writer.drain()
    try:
        while True:
            chunk = await reader.readuntil(b"\n\n")
            if chunk.startswith(b"event: snapshot"):
                updates[0] += 1
                first.set()
    except asyncio.IncompleteReadError:
        pass  # the server closed the stream
    finally:
        writer.close()


async def s1(watched: bool, n: int) -> tuple[float, float, int]:
    """Messages per second, CPU nanoseconds per message, and how many updates the stream
    delivered meanwhile."""
    updates = [0]
    async with ActorSystem("bench") as system:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[float] = loop.create_future()
        ref = await system.spawn(partial(Sink, n, done))
        server = reader = None
        if watched:
            server = await serve(system, 0, max_updates_per_second=4.0)
            first = asyncio.Event()
            reader = asyncio.ensure_future(_read_stream(server.port, updates, first))
            await first.wait()  # the page is open and has its first update
        tell = ref.tell
        start = time.perf_counter()
        cpu = time.process_time()
        for i in range(n):
            await tell(i)
        end = await done
        cpu = time.process_time() - cpu
        if server is not None and reader is not None:
            await server.close()
            await reader
    return n / (end - start), cpu / n * 1e9, updates[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--messages", type=int, default=MESSAGES)
    options = parser.parse_args()
    rates: dict[bool, list[float]] = {False: [], True: []}
    costs: dict[bool, list[float]] = {False: [], True: []}
    streamed: list[int] = []
    for round_ in range(options.rounds):
        for watched in (False, True) if round_ % 2 == 0 else (True, False):
            gc.collect()
            rate, cost, updates = asyncio.run(s1(watched, options.messages))
            rates[watched].append(rate)
            costs[watched].append(cost)
            if watched:
                streamed.append(updates)
    plain = statistics.median(rates[False])
    watched = statistics.median(rates[True])
    print(f"S1 without a view:        {plain:,.0f} msgs/s (median of {options.rounds})")
    print(f"S1 with an open page:     {watched:,.0f} msgs/s ({min(streamed)}+ updates each)")
    print(f"ratio (watched / plain):  {watched / plain:.3f}")
    plain_cpu = statistics.median(costs[False])
    watched_cpu = statistics.median(costs[True])
    print(f"CPU per message:          {plain_cpu:.0f} ns without, {watched_cpu:.0f} ns with a page")
    print(f"ratio (watched / plain):  {watched_cpu / plain_cpu:.3f}")


if __name__ == "__main__":
    main()
