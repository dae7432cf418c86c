"""The limit: the fastest actor this design allows in pure Python, written plainly.

An actor is one task serving a ``collections.deque`` one message at a time. When the deque
is empty the task parks on one waiter future, which the next tell completes. The mailbox is
bounded (1000): a sender that finds it full waits on a future of its own, completed when
the actor takes a message out and puts the sender's message in the room it made (so blocked
senders go first, in order). Tell appends and, if the actor is parked, wakes it; ask is a
message plus a future, answered with the handler's return value (or its exception); a
restart is catching the exception and building a new handler object from the factory.

Everything the runtime adds on top of this is left out: envelopes (ids, sender,
correlation and causation), the system and notice lanes, states and lifecycle hooks, the
ledger, dead letters, ask timeouts, a supervision tree, names and paths, metrics and logs.
What remains is what any actor built on one asyncio task per actor must do, so the ratio
``runtime / limit`` is the share of the physical limit the runtime reaches.
"""

from __future__ import annotations

import asyncio
import gc
import time
import tracemalloc
from collections import deque
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

__all__ = ["LimitActor", "scenario"]

CAPACITY = 1000


class _Ask:
    """A message that wants an answer: the handler's return value goes into ``reply``."""

    __slots__ = ("message", "reply")

    def __init__(self, message: Any, reply: asyncio.Future[Any]) -> None:
        self.message = message
        self.reply = reply


class _Stop:
    """Ends the actor's task once the messages before it are handled."""

    __slots__ = ()


_STOP = _Stop()


class LimitActor:
    """One actor: a bounded deque, one task, one waiter future; see the module docstring.

    ``factory`` builds the handler (an object with ``async def receive(message)``), again
    after each failure.
    """

    __slots__ = ("_loop", "capacity", "factory", "queue", "senders", "task", "waiter")

    def __init__(self, factory: Callable[[], Any], capacity: int = CAPACITY) -> None:
        self._loop = asyncio.get_running_loop()
        self.factory = factory
        self.queue: deque[Any] = deque()
        self.capacity = capacity
        self.waiter: asyncio.Future[None] | None = None
        # (future, message) of each blocked sender, created on first use
        self.senders: deque[tuple[asyncio.Future[None], Any]] | None = None
        self.task = self._loop.create_task(self._serve())

    async def _serve(self) -> None:
        queue = self.queue
        popleft = queue.popleft
        handler = self.factory()
        while True:
            if not queue:
                waiter = self.waiter = self._loop.create_future()
                await waiter
                continue
            item = popleft()
            senders = self.senders
            if senders:
                self._admit(senders)
            kind = item.__class__
            if kind is _Ask:
                try:
                    answer = await handler.receive(item.message)
                except Exception as error:
                    if not item.reply.done():
                        item.reply.set_exception(error)
                    handler = self.factory()
                    continue
                if not item.reply.done():
                    item.reply.set_result(answer)
            elif kind is _Stop:
                return
            else:
                try:
                    await handler.receive(item)
                except Exception:
                    handler = self.factory()

    def _admit(self, senders: deque[tuple[asyncio.Future[None], Any]]) -> None:
        """Put the first blocked sender's message in the room just made, and wake it (a
        cancelled sender gave up: its message is not sent)."""
        while senders:
            room, item = senders.popleft()
            if not room.done():
                self.queue.append(item)
                room.set_result(None)
                return

    async def _block(self, item: Any) -> None:
        """Wait until the actor has put ``item`` in its mailbox."""
        if self.senders is None:
            self.senders = deque()
        room: asyncio.Future[None] = self._loop.create_future()
        self.senders.append((room, item))
        await room

    def offer(self, message: Any) -> bool:
        """Append ``message`` if there is room (False if the mailbox is full)."""
        queue = self.queue
        if len(queue) >= self.capacity:
            return False
        queue.append(message)
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            waiter.set_result(None)
        return True

    async def tell(self, message: Any) -> None:
        """Append ``message``, waiting for room while the mailbox is full."""
        queue = self.queue
        if len(queue) >= self.capacity:
            await self._block(message)
            return
        queue.append(message)
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            waiter.set_result(None)

    async def ask(self, message: Any) -> Any:
        """Send ``message`` and wait for the handler's answer (its exception is raised)."""
        reply: asyncio.Future[Any] = self._loop.create_future()
        queue = self.queue
        if len(queue) >= self.capacity:
            await self._block(_Ask(message, reply))
            return await reply
        queue.append(_Ask(message, reply))
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            waiter.set_result(None)
        return await reply

    async def stop(self) -> None:
        """Handle the messages queued so far, then end the task and wait for it.

        Raises RuntimeError if messages were sent after the stop (by senders that were
        blocked, or later): they were not handled."""
        self.queue.append(_STOP)  # past the bound: stopping never waits for room
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            waiter.set_result(None)
        await self.task
        left = len(self.queue) + len(self.senders or ())
        if left:
            raise RuntimeError(f"{left} message(s) sent after stop() were not handled")


# --------------------------------------------------------------------------- S1


class Counter:
    def __init__(self, expected: int, done: asyncio.Future[float]) -> None:
        self.expected = expected
        self.done = done
        self.count = 0

    async def receive(self, message: Any) -> Any:
        self.count += 1
        if self.count == self.expected:
            self.done.set_result(time.perf_counter())


class Sender:
    """On any message, tells ``n`` messages to ``sink`` from inside its handler."""

    def __init__(self, sink: LimitActor, n: int) -> None:
        self.sink = sink
        self.n = n

    async def receive(self, message: Any) -> Any:
        tell = self.sink.tell
        for i in range(self.n):
            await tell(i)


async def s1_tell(n: int, inside: bool = False) -> Result:
    """``n`` tells to one actor, from the main coroutine or (``inside``) from the handler
    of another actor."""
    done: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    counter = Counter(n, done)
    actor = LimitActor(lambda: counter)
    await asyncio.sleep(0)
    if inside:
        sender = LimitActor(lambda: Sender(actor, n))
        await asyncio.sleep(0)
        start = time.perf_counter()
        await sender.tell("go")
        end = await done
        await sender.stop()
        await actor.stop()
        return {"msgs_per_s": n / (end - start)}
    tell = actor.tell
    start = time.perf_counter()
    for i in range(n):
        await tell(i)
    end = await done
    await actor.stop()
    return {"msgs_per_s": n / (end - start)}


# --------------------------------------------------------------------------- S2


class Echo:
    async def receive(self, message: Any) -> Any:
        return message


async def s2_ask(n: int, in_flight: int = 0) -> Result:
    """``in_flight=0``: ``n`` asks one after the other; else ``in_flight`` tasks asking."""
    actor = LimitActor(Echo)
    await asyncio.sleep(0)
    if in_flight:
        result = await asks_in_flight(actor.ask, n, in_flight)
        await actor.stop()
        return result
    ask = actor.ask
    clock = time.perf_counter
    latencies = [0.0] * n
    start = clock()
    for i in range(n):
        sent = clock()
        await ask(i)
        latencies[i] = clock() - sent
    elapsed = clock() - start
    await actor.stop()
    return {
        "asks_per_s": n / elapsed,
        "p50_us": percentile(latencies, 0.5) * 1e6,
        "p99_us": percentile(latencies, 0.99) * 1e6,
    }


# --------------------------------------------------------------------------- S3


class Idle:
    async def receive(self, message: Any) -> Any:
        return None


async def s3_spawn(n: int, traced: bool = False) -> Result:
    """Start ``n`` actors (spawn time includes one pass of the loop, so every task has
    started and is parked on its waiter), then stop them all and wait for every task.
    ``traced``: measure memory with tracemalloc instead of the resident set; tracing slows
    spawning down, so only ``bytes_per_actor`` is returned.
    """
    warm = LimitActor(Idle)
    await asyncio.sleep(0)
    if traced:
        tracemalloc.start()
    gc.collect()
    before = memory_bytes(traced)
    start = time.perf_counter()
    actors = [LimitActor(Idle) for _ in range(n)]
    await asyncio.sleep(0)
    spawned = time.perf_counter() - start
    gc.collect()
    per_actor = (memory_bytes(traced) - before) / n
    if traced:
        tracemalloc.stop()
    start = time.perf_counter()
    await asyncio.gather(*(actor.stop() for actor in actors))
    stopped = time.perf_counter() - start
    await warm.stop()
    if traced:
        return {"bytes_per_actor": per_actor}
    return {"spawn_s": spawned, "bytes_per_actor": per_actor, "stop_s": stopped}


# --------------------------------------------------------------------------- S4


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
    """The publisher offers each event to every subscriber itself, waiting for room only
    when a mailbox is full."""
    done: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    log = FanoutLog(subscribers, events)
    handlers = [Subscriber(log, done) for _ in range(subscribers)]
    actors = [LimitActor(lambda handler=handler: handler) for handler in handlers]
    await asyncio.sleep(0)
    start = time.perf_counter()
    for i in range(events):
        for actor in actors:
            if not actor.offer(i):
                await actor.tell(i)
    await done
    await asyncio.gather(*(actor.stop() for actor in actors))
    return log.result(start)


# --------------------------------------------------------------------------- S5


class Flaky:
    def __init__(self, log: RestartLog, done: asyncio.Future[float]) -> None:
        self.log = log
        self.done = done

    async def receive(self, message: Any) -> Any:
        if message is FAIL:
            self.log.fail()
        if self.log.work():
            self.done.set_result(self.log.end)


async def s5_restart(failures: int) -> Result:
    """Every other message fails; all messages are queued up front (the mailbox holds
    them all), so the time from a failure to the next handled message is the actor's."""
    total = 2 * failures + 1
    done: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    log = RestartLog(failures + 1)
    actor = LimitActor(lambda: Flaky(log, done), capacity=total + 1)
    await asyncio.sleep(0)
    start = time.perf_counter()
    for i in range(total):
        await actor.tell(FAIL if i % 2 else WORK)
    await done
    await actor.stop()
    return log.result(start, total)


async def s6_chaos(seconds: float, actors: int) -> Result:
    raise NotApplicable("no supervision tree or dead letters: no ledger to check")


def scenario(name: str, loop: str, **size: Any) -> Result:
    runners = scenario_table(globals())
    main = runners[name]
    return run_loop(loop, lambda: main(**size))
