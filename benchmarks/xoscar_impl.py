"""The scenarios on xoscar: an in-process main actor pool (``n_process=0``, address
``127.0.0.1``) on the benchmark's own event loop; the caller is the main coroutine.

Tell is ``await ref.method.tell(...)``, ask is ``await ref.method(...)``. xoscar has no event
bus: for S4 the publisher tells every subscriber each event itself. xoscar has no
supervision: a method that raises sends the exception to the caller and the actor lives on;
for S5 the caller, on the exception, destroys the actor and creates a new one (the way an
xoscar application replaces a broken actor) and goes on with it.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import time
from collections.abc import Callable, Coroutine
from typing import Any

from benchmarks._common import (
    Boom,
    FanoutLog,
    NotApplicable,
    RestartLog,
    Result,
    percentile,
    rss_bytes,
    run_loop,
    scenario_table,
)

__all__ = ["scenario"]

# Completion futures of the running scenario, by key: actors live in this process and on
# this loop, so they complete them directly (xoscar may copy message arguments).
_DONE: dict[str, asyncio.Future[float]] = {}
_LOG: dict[str, Any] = {}
_uids = itertools.count()


def _xoscar() -> Any:
    try:
        import xoscar  # type: ignore[import-untyped]
    except ImportError:
        raise NotApplicable("xoscar not installed") from None
    return xoscar


def _uid(prefix: str) -> str:
    return f"{prefix}-{next(_uids)}"


async def _in_pool(main: Callable[[Any, str], Coroutine[Any, Any, Result]]) -> Result:
    xo = _xoscar()
    pool = await xo.create_actor_pool("127.0.0.1", n_process=0)
    async with pool:
        return await main(xo, pool.external_address)


def _classes() -> dict[str, type]:
    """The actor classes, built once xoscar is importable (it is an optional dependency)."""
    xo = _xoscar()

    class Sink(xo.Actor):  # type: ignore[misc,name-defined]
        def __init__(self, expected: int, key: str) -> None:
            super().__init__()
            self.expected = expected
            self.key = key
            self.count = 0

        def add(self, message: Any) -> None:
            self.count += 1
            if self.count == self.expected:
                _DONE[self.key].set_result(time.perf_counter())

    class Echo(xo.Actor):  # type: ignore[misc,name-defined]
        def echo(self, message: Any) -> Any:
            return message

    class Idle(xo.Actor):  # type: ignore[misc,name-defined]
        def noop(self) -> None:
            return None

    class Subscriber(xo.Actor):  # type: ignore[misc,name-defined]
        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key
            self.count = 0

        def on_event(self, event: Any) -> None:
            self.count += 1
            log = _LOG[self.key]
            if log.seen(self.count):
                _DONE[self.key].set_result(log.end)

    class Flaky(xo.Actor):  # type: ignore[misc,name-defined]
        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

        def fail(self) -> None:
            _LOG[self.key].fail()

        def work(self) -> None:
            _LOG[self.key].work()

    return {"Sink": Sink, "Echo": Echo, "Idle": Idle, "Subscriber": Subscriber, "Flaky": Flaky}


async def s1_tell(n: int) -> Result:
    async def main(xo: Any, address: str) -> Result:
        key = _uid("s1")
        _DONE[key] = asyncio.get_running_loop().create_future()
        ref = await xo.create_actor(_classes()["Sink"], n, key, address=address, uid=key)
        tell = ref.add.tell
        start = time.perf_counter()
        for i in range(n):
            await tell(i)
        end = await _DONE[key]
        del _DONE[key]
        return {"msgs_per_s": n / (end - start)}

    return await _in_pool(main)


async def s2_ask(n: int) -> Result:
    async def main(xo: Any, address: str) -> Result:
        ref = await xo.create_actor(_classes()["Echo"], address=address, uid=_uid("s2"))
        ask = ref.echo
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

    return await _in_pool(main)


async def s3_spawn(n: int) -> Result:
    async def main(xo: Any, address: str) -> Result:
        idle = _classes()["Idle"]
        await xo.create_actor(idle, address=address, uid=_uid("warm"))
        gc.collect()
        before = rss_bytes()
        start = time.perf_counter()
        refs = [await xo.create_actor(idle, address=address, uid=_uid("s3")) for _ in range(n)]
        spawned = time.perf_counter() - start
        gc.collect()
        per_actor = (rss_bytes() - before) / n
        start = time.perf_counter()
        for ref in refs:
            await xo.destroy_actor(ref)
        stopped = time.perf_counter() - start
        return {"spawn_s": spawned, "bytes_per_actor": per_actor, "stop_s": stopped}

    return await _in_pool(main)


async def s4_fanout(subscribers: int, events: int) -> Result:
    async def main(xo: Any, address: str) -> Result:
        key = _uid("s4")
        _DONE[key] = asyncio.get_running_loop().create_future()
        log = FanoutLog(subscribers, events)
        _LOG[key] = log
        subscriber = _classes()["Subscriber"]
        refs = [
            await xo.create_actor(subscriber, key, address=address, uid=_uid("sub"))
            for _ in range(subscribers)
        ]
        tells = [ref.on_event.tell for ref in refs]
        start = time.perf_counter()
        for i in range(events):
            for tell in tells:
                await tell(i)
        await _DONE[key]
        del _DONE[key], _LOG[key]
        return log.result(start)

    return await _in_pool(main)


async def s5_restart(failures: int) -> Result:
    async def main(xo: Any, address: str) -> Result:
        key = _uid("s5")
        log = RestartLog(failures + 1)
        _LOG[key] = log
        flaky = _classes()["Flaky"]
        start = time.perf_counter()
        ref = await xo.create_actor(flaky, key, address=address, uid=_uid("flaky"))
        for _ in range(failures):
            await ref.work()
            try:
                await ref.fail()
            except Boom:
                await xo.destroy_actor(ref)
                ref = await xo.create_actor(flaky, key, address=address, uid=_uid("flaky"))
        await ref.work()
        del _LOG[key]
        return log.result(start, 2 * failures + 1)

    return await _in_pool(main)


async def s6_chaos(seconds: float, actors: int) -> Result:
    raise NotApplicable("no supervision tree or dead letters: no ledger to check")


def scenario(name: str, loop: str, **size: Any) -> Result:
    runners = scenario_table(globals())
    _xoscar()
    main = runners[name]
    return run_loop(loop, lambda: main(**size))
