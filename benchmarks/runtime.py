"""The scenarios on this runtime (``actors`` + ``supervision``), used as a user would.

Actors have ``async def receive`` (the form the design document shows), default mailboxes
(capacity 1000, ``block``) unless a scenario says otherwise, and are spawned, told, asked and
supervised through the public API only. ``lean=True`` builds the system with
``metrics=False`` (and the harness turns logging off for it).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import random
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from typing import Any

from actors import Actor, ActorFailed, ActorRef, ActorStopped, ActorSystem
from benchmarks._common import (
    FAIL,
    WORK,
    Boom,
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
from supervision import ChildSpec, OneForAll, OneForOne, RestForOne, Supervisor

__all__ = ["has_metrics_switch", "scenario"]


def has_metrics_switch() -> bool:
    """Whether ``ActorSystem`` accepts ``metrics=False`` (the observability work adds it)."""
    try:
        ActorSystem("probe", metrics=False)
    except TypeError:
        return False
    return True


def _system(lean: bool, **options: Any) -> ActorSystem:
    if lean:
        try:
            return ActorSystem("bench", metrics=False, **options)
        except TypeError:
            raise NotApplicable("no metrics switch") from None
    return ActorSystem("bench", **options)


# --------------------------------------------------------------------------- S1


class Sink(Actor):
    """Counts messages; completes ``done`` at the ``expected``-th."""

    def __init__(self, expected: int, done: asyncio.Future[float]) -> None:
        self.expected = expected
        self.done = done
        self.count = 0

    async def receive(self, message: Any) -> Any:
        self.count += 1
        if self.count == self.expected:
            self.done.set_result(time.perf_counter())


class Sender(Actor):
    """On any message, tells ``n`` messages to ``sink`` from inside its handler (so each
    carries this actor as sender and the handled message's correlation id)."""

    def __init__(self, sink: ActorRef, n: int) -> None:
        self.sink = sink
        self.n = n

    async def receive(self, message: Any) -> Any:
        tell = self.sink.tell
        for i in range(self.n):
            await tell(i)


async def s1_tell(
    lean: bool,
    n: int,
    inside: bool = False,
    *,
    system_options: dict[str, Any] | None = None,
    sink_options: dict[str, Any] | None = None,
    deadline: float | None = None,
) -> Result:
    """``n`` tells to one actor, from the main coroutine or (``inside``) from the handler
    of another actor. ``system_options`` go to ``ActorSystem``, ``sink_options`` to the
    receiving actor's ``spawn`` (``benchmarks.features`` varies them); with ``deadline``
    (and ``inside``) the sender's handler runs under an ask with that timeout, so every
    tell it makes carries the inherited deadline."""
    async with _system(lean, **(system_options or {})) as system:
        done: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        ref = await system.spawn(partial(Sink, n, done), **(sink_options or {}))
        if inside:
            sender = await system.spawn(partial(Sender, ref, n))
            start = time.perf_counter()
            if deadline is None:
                await sender.tell("go")
                end = await done
            else:
                asked = asyncio.ensure_future(sender.ask("go", timeout=deadline))
                end = await done
                await asked
            return {"msgs_per_s": n / (end - start)}
        tell = ref.tell
        start = time.perf_counter()
        for i in range(n):
            await tell(i)
        end = await done
    return {"msgs_per_s": n / (end - start)}


# --------------------------------------------------------------------------- S2


IN_FLIGHT_TIMEOUT = 120.0  # seconds, for each ask of S2 with asks in flight


class Echo(Actor):
    async def receive(self, message: Any) -> Any:
        return message


async def s2_ask(lean: bool, n: int, in_flight: int = 0) -> Result:
    """``in_flight=0``: ``n`` asks one after the other; else ``in_flight`` tasks asking."""
    async with _system(lean) as system:
        ref = await system.spawn(Echo)
        ask = ref.ask
        if in_flight:
            # Every ask still has a deadline, as by default, but a longer one: the last of
            # 10,000 queued asks must not be cut off by the default 5 s on a slow machine.
            timed = partial(ask, timeout=IN_FLIGHT_TIMEOUT)
            return await asks_in_flight(timed, n, in_flight)
        clock = time.perf_counter
        latencies = [0.0] * n
        start = clock()
        for i in range(n):
            sent = clock()
            await ask(i)
            latencies[i] = clock() - sent
        elapsed = clock() - start
    return {
        "asks_per_s": n / elapsed,
        "p50_us": percentile(latencies, 0.5) * 1e6,
        "p99_us": percentile(latencies, 0.99) * 1e6,
    }


# --------------------------------------------------------------------------- S3


class Idle(Actor):
    async def receive(self, message: Any) -> Any:
        return None


async def s3_spawn(lean: bool, n: int, traced: bool = False) -> Result:
    """Spawn ``n`` idle actors one after the other (``await system.spawn``: each returns
    once the actor's ``on_start`` ran), then stop them all with ``system.shutdown()``.
    ``traced``: measure memory with tracemalloc instead of the resident set; tracing slows
    spawning down, so only ``bytes_per_actor`` is returned.
    """
    system = _system(lean)
    async with system:
        await system.spawn(Idle)  # warm up code paths and lazily built objects
        if traced:
            tracemalloc.start()
        gc.collect()
        before = memory_bytes(traced)
        start = time.perf_counter()
        spawn = system.spawn
        for _ in range(n):
            await spawn(Idle)
        spawned = time.perf_counter() - start
        gc.collect()
        per_actor = (memory_bytes(traced) - before) / n
        if traced:
            tracemalloc.stop()
            return {"bytes_per_actor": per_actor}
        start = time.perf_counter()
        await system.shutdown()
        stopped = time.perf_counter() - start
    return {"spawn_s": spawned, "bytes_per_actor": per_actor, "stop_s": stopped}


# --------------------------------------------------------------------------- S4

TOPIC = "bench.fanout"


class Subscriber(Actor):
    """Counts events; the last subscriber to see all of them completes ``done``."""

    def __init__(self, log: FanoutLog, done: asyncio.Future[float]) -> None:
        self.log = log
        self.done = done
        self.count = 0

    async def receive(self, message: Any) -> Any:
        self.count += 1
        if self.log.seen(self.count):
            self.done.set_result(self.log.end)


async def s4_fanout(lean: bool, subscribers: int, events: int) -> Result:
    """One publisher (the main coroutine) publishes ``events`` events on the system's event
    bus, to which ``subscribers`` actors are subscribed."""
    async with _system(lean) as system:
        done: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        log = FanoutLog(subscribers, events)
        for _ in range(subscribers):
            ref = await system.spawn(partial(Subscriber, log, done))
            await system.subscribe(ref, TOPIC)
        publish = system.publish
        start = time.perf_counter()
        for i in range(events):
            await publish(TOPIC, i)
        await done
    return log.result(start)


# --------------------------------------------------------------------------- S5


class Flaky(Actor):
    """Fails on every ``FAIL`` (every other message); the next message is handled by the
    fresh incarnation its supervisor started."""

    def __init__(self, log: RestartLog, done: asyncio.Future[float]) -> None:
        self.log = log
        self.done = done

    async def receive(self, message: Any) -> Any:
        if message is FAIL:
            self.log.fail()
        if self.log.work():
            self.done.set_result(self.log.end)


def _flaky_supervisor(
    log: RestartLog, done: asyncio.Future[float], capacity: int
) -> Callable[[], Supervisor]:
    class FlakySupervisor(Supervisor):
        # Never gives up within the run.
        strategy = OneForOne(max_restarts=1_000_000, within=1.0)
        children = (ChildSpec("flaky", partial(Flaky, log, done), capacity=capacity),)

    return FlakySupervisor


async def s5_restart(lean: bool, failures: int) -> Result:
    """A one-for-one supervisor restarts an actor that fails on every other message. All
    ``2 * failures + 1`` messages are queued up front (the mailbox holds them all), so the
    time from a failure to the next handled message is the runtime's alone."""
    total = 2 * failures + 1
    async with _system(lean) as system:
        done: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        log = RestartLog(failures + 1)
        await system.spawn(_flaky_supervisor(log, done, total), name="sup")
        ref = system.lookup("/sup/flaky")
        assert ref is not None
        start = time.perf_counter()
        for i in range(total):
            await ref.tell(FAIL if i % 2 else WORK)
        await done
    return log.result(start, total)


# --------------------------------------------------------------------------- S6


class ChaosWorker(Actor):
    """Fails on 1% of its messages (a seeded random draw), answers the rest."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    async def receive(self, message: Any) -> Any:
        if self.rng.random() < 0.01:
            raise Boom("chaos")
        return message


def _chaos_tree(rng: random.Random, middles: int, workers: int) -> type[Supervisor]:
    """root (one_for_one) -> ``middles`` supervisors (one_for_one, one_for_all and
    rest_for_one in turn) -> ``workers`` workers each."""
    strategies = (OneForOne, OneForAll, RestForOne)

    def middle(index: int) -> type[Supervisor]:
        class Middle(Supervisor):
            strategy = strategies[index % 3](max_restarts=1_000_000, within=1.0)
            children = tuple(ChildSpec(f"w{j}", partial(ChaosWorker, rng)) for j in range(workers))

        return Middle

    class Root(Supervisor):
        strategy = OneForOne(max_restarts=1_000_000, within=1.0)
        children = tuple(ChildSpec(f"m{i}", middle(i)) for i in range(middles))

    return Root


async def s6_chaos(lean: bool, seconds: float, actors: int, seed: int = 8) -> Result:
    """Drive a supervision tree of ``actors`` actors for ``seconds`` with tells (three
    drivers) and asks (one driver) to random workers while 1% of messages fail; then wait
    until the system is idle and check the ledger over every actor of the tree."""
    # 1 root + 9 middles + 9 * w workers: 100 actors are 9 middles of 10 workers each.
    middles = 9
    workers = max(1, (actors - 1 - middles) // middles)
    rng = random.Random(seed)
    async with _system(lean) as system:
        await system.spawn(_chaos_tree(rng, middles, workers), name="root")
        refs = [
            ref
            for ref in (
                system.lookup(f"/root/m{i}/w{j}") for i in range(middles) for j in range(workers)
            )
            if ref is not None
        ]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        sent = [0]
        asked = [0]

        async def teller(seed: int) -> None:
            pick = random.Random(seed).choice
            while loop.time() < deadline:
                for _ in range(256):
                    await pick(refs).tell(1)
                sent[0] += 256

        async def asker(seed: int) -> None:
            pick = random.Random(seed).choice
            while loop.time() < deadline:
                for _ in range(64):
                    with contextlib.suppress(ActorFailed, ActorStopped):
                        await pick(refs).ask(2)
                asked[0] += 64

        start = time.perf_counter()
        await asyncio.gather(teller(1), teller(2), teller(3), asker(4))
        await system.wait_idle()
        elapsed = time.perf_counter() - start
        accepted = processed = dead_lettered = failed = 0
        tree = system.actors
        for ref in tree:
            stats = ref.statistics()
            accepted += stats.accepted
            processed += stats.processed
            dead_lettered += stats.dead_lettered
            failed += stats.failed
    return {
        "actors": float(len(tree)),
        "sent": float(sent[0] + asked[0]),
        "accepted": float(accepted),
        "processed": float(processed),
        "dead_lettered": float(dead_lettered),
        "failed": float(failed),
        "difference": float(accepted - processed - dead_lettered),
        "processed_per_s": processed / elapsed,
    }


# --------------------------------------------------------------------------- entry


def scenario(name: str, loop: str, *, lean: bool, **size: Any) -> Result:
    """Run one scenario in a fresh event loop of the given kind."""
    runners = scenario_table(globals())
    main = runners[name]
    return run_loop(loop, lambda: main(lean, **size))
