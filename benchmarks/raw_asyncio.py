"""The baseline: an actor made of ``asyncio.Queue``, written plainly and as fast as reasonably
written (``limit`` is the same without the queue's own machinery).

Each "actor" is a task reading its own ``asyncio.Queue(maxsize=1000)`` and calling an
``async def receive`` on a handler object, one message at a time. Tell is ``queue.put``;
ask is a put of ``(message, future)`` and an await on the future; a restart is catching the
exception and building a new handler object. No supervision tree, no dead letters, no
metadata, no logs: everything the runtime adds on top is what the ratios measure.
"""

from __future__ import annotations

import asyncio
import gc
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from benchmarks._common import (
    FAIL,
    WORK,
    FanoutLog,
    NotApplicable,
    RestartLog,
    Result,
    asks_in_flight,
    memory_bytes,
    percentile,
    run_loop,
    scenario_table,
)

__all__ = ["scenario"]

CAPACITY = 1000
_STOP = object()


class Counter:
    def __init__(self, expected: int, done: asyncio.Future[float]) -> None:
        self.expected = expected
        self.done = done
        self.count = 0

    async def receive(self, message: Any) -> Any:
        self.count += 1
        if self.count == self.expected:
            self.done.set_result(time.perf_counter())


async def serve(queue: asyncio.Queue[Any], handler: Any) -> None:
    """The actor loop for tells: one message at a time, until ``_STOP``."""
    get = queue.get
    receive = handler.receive
    while True:
        message = await get()
        if message is _STOP:
            return
        await receive(message)


class Sender:
    """On any message, puts ``n`` messages into ``queue`` from inside its handler."""

    def __init__(self, queue: asyncio.Queue[Any], n: int) -> None:
        self.queue = queue
        self.n = n

    async def receive(self, message: Any) -> Any:
        put = self.queue.put
        for i in range(self.n):
            await put(i)


async def s1_tell(n: int, inside: bool = False) -> Result:
    """``n`` puts into one actor's queue, from the main coroutine or (``inside``) from the
    handler of another actor."""
    done: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=CAPACITY)
    task = asyncio.create_task(serve(queue, Counter(n, done)))
    await asyncio.sleep(0)
    put = queue.put
    if inside:
        outer: asyncio.Queue[Any] = asyncio.Queue(maxsize=CAPACITY)
        outer_task = asyncio.create_task(serve(outer, Sender(queue, n)))
        await asyncio.sleep(0)
        start = time.perf_counter()
        await outer.put("go")
        end = await done
        await outer.put(_STOP)
        await outer_task
        await put(_STOP)
        await task
        return {"msgs_per_s": n / (end - start)}
    start = time.perf_counter()
    for i in range(n):
        await put(i)
    end = await done
    await put(_STOP)
    await task
    return {"msgs_per_s": n / (end - start)}


class Echo:
    async def receive(self, message: Any) -> Any:
        return message


async def serve_asks(queue: asyncio.Queue[Any], handler: Any) -> None:
    get = queue.get
    receive = handler.receive
    while True:
        item = await get()
        if item is _STOP:
            return
        message, reply = item
        try:
            result = await receive(message)
        except Exception as exc:
            if not reply.done():
                reply.set_exception(exc)
            continue
        if not reply.done():
            reply.set_result(result)


async def s2_ask(n: int, in_flight: int = 0) -> Result:
    """``in_flight=0``: ``n`` asks one after the other; else ``in_flight`` tasks asking."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=CAPACITY)
    task = asyncio.create_task(serve_asks(queue, Echo()))
    await asyncio.sleep(0)
    put = queue.put
    create_future = loop.create_future
    if in_flight:

        async def ask(message: Any) -> Any:
            reply = create_future()
            await put((message, reply))
            return await reply

        result = await asks_in_flight(ask, n, in_flight)
        await put(_STOP)
        await task
        return result
    clock = time.perf_counter
    latencies = [0.0] * n
    start = clock()
    for i in range(n):
        sent = clock()
        reply = create_future()
        await put((i, reply))
        await reply
        latencies[i] = clock() - sent
    elapsed = clock() - start
    await put(_STOP)
    await task
    return {
        "asks_per_s": n / elapsed,
        "p50_us": percentile(latencies, 0.5) * 1e6,
        "p99_us": percentile(latencies, 0.99) * 1e6,
    }


class Idle:
    async def receive(self, message: Any) -> Any:
        return None


async def s3_spawn(n: int, traced: bool = False) -> Result:
    """Start ``n`` tasks each waiting on its own queue (spawn time includes one pass of the
    loop, so every task has started and is parked on ``get``), then stop them all by a stop
    message and wait for every task to end.
    ``traced``: measure memory with tracemalloc instead of the resident set; tracing slows
    spawning down, so only ``bytes_per_actor`` is returned.
    """
    warm: asyncio.Queue[Any] = asyncio.Queue(maxsize=CAPACITY)
    warm_task = asyncio.create_task(serve(warm, Idle()))
    await asyncio.sleep(0)
    if traced:
        tracemalloc.start()
    gc.collect()
    before = memory_bytes(traced)
    start = time.perf_counter()
    queues: list[asyncio.Queue[Any]] = []
    tasks: list[asyncio.Task[None]] = []
    create_task = asyncio.create_task
    for _ in range(n):
        queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=CAPACITY)
        queues.append(queue)
        tasks.append(create_task(serve(queue, Idle())))
    await asyncio.sleep(0)
    spawned = time.perf_counter() - start
    gc.collect()
    per_actor = (memory_bytes(traced) - before) / n
    if traced:
        tracemalloc.stop()
    start = time.perf_counter()
    for queue in queues:
        queue.put_nowait(_STOP)
    await asyncio.gather(*tasks)
    stopped = time.perf_counter() - start
    warm.put_nowait(_STOP)
    await warm_task
    if traced:
        return {"bytes_per_actor": per_actor}
    return {"spawn_s": spawned, "bytes_per_actor": per_actor, "stop_s": stopped}


class Subscriber:
    def __init__(self, log: FanoutLog, done: asyncio.Future[float]) -> None:
        self.log = log
        self.done = done
        self.count = 0

    async def receive(self, message: Any) -> Any:
        self.count += 1
        if self.log.seen(self.count):
            self.done.set_result(self.log.end)


async def s4_fanout(subscribers: int, events: int) -> Result:
    """The publisher puts each event into every subscriber's queue itself: without waiting
    when there is room, waiting for room when a queue is full."""
    done: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    log = FanoutLog(subscribers, events)
    queues: list[asyncio.Queue[Any]] = [asyncio.Queue(maxsize=CAPACITY) for _ in range(subscribers)]
    tasks = [asyncio.create_task(serve(queue, Subscriber(log, done))) for queue in queues]
    await asyncio.sleep(0)
    start = time.perf_counter()
    for i in range(events):
        for queue in queues:
            if queue.full():
                await queue.put(i)
            else:
                queue.put_nowait(i)
    await done
    for queue in queues:
        await queue.put(_STOP)
    await asyncio.gather(*tasks)
    return log.result(start)


class Flaky:
    def __init__(self, log: RestartLog, done: asyncio.Future[float]) -> None:
        self.log = log
        self.done = done

    async def receive(self, message: Any) -> Any:
        if message is FAIL:
            self.log.fail()
        if self.log.work():
            self.done.set_result(self.log.end)


async def serve_restarting(queue: asyncio.Queue[Any], factory: Callable[[], Any]) -> None:
    """The actor loop with the cheapest restart: a failing handler is replaced by a new one."""
    get = queue.get
    handler = factory()
    while True:
        message = await get()
        if message is _STOP:
            return
        try:
            await handler.receive(message)
        except Exception:
            handler = factory()


async def s5_restart(failures: int) -> Result:
    total = 2 * failures + 1
    done: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    log = RestartLog(failures + 1)
    queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=total + 1)
    task = asyncio.create_task(serve_restarting(queue, lambda: Flaky(log, done)))
    await asyncio.sleep(0)
    start = time.perf_counter()
    for i in range(total):
        await queue.put(FAIL if i % 2 else WORK)
    await done
    await queue.put(_STOP)
    await task
    return log.result(start, total)


async def s6_chaos(seconds: float, actors: int) -> Result:
    raise NotApplicable("no supervision tree or dead letters: no ledger to check")


def scenario(name: str, loop: str, **size: Any) -> Result:
    runners = scenario_table(globals())
    main = runners[name]
    return run_loop(loop, lambda: main(**size))
