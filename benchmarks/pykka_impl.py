"""The scenarios on pykka's ``ThreadingActor`` (one OS thread per actor).

The caller is the main thread. Tell is ``ref.tell``, ask is ``ref.ask`` (blocking). pykka has
no event bus: for S4 the publisher tells every subscriber each event itself. pykka has no
supervision: an actor whose handler raises on a told message logs the error, calls
``on_failure`` and stops; for S5 ``on_failure`` tells the caller, which starts a new actor
(the way a pykka application restarts) and goes on telling it.
"""

from __future__ import annotations

import gc
import queue
import threading
import time
from typing import Any

from benchmarks._common import (
    FAIL,
    WORK,
    FanoutLog,
    NotApplicable,
    RestartLog,
    Result,
    percentile,
    rss_bytes,
    scenario_table,
)

__all__ = ["scenario"]


def _pykka() -> Any:
    try:
        import pykka
    except ImportError:
        raise NotApplicable("pykka not installed (pip install -e '.[bench]')") from None
    return pykka


def s1_tell(n: int) -> Result:
    pykka = _pykka()
    done = threading.Event()
    end = [0.0]

    class Sink(pykka.ThreadingActor):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.count = 0

        def on_receive(self, message: Any) -> Any:
            self.count += 1
            if self.count == n:
                end[0] = time.perf_counter()
                done.set()

    ref = Sink.start()
    try:
        tell = ref.tell
        start = time.perf_counter()
        for i in range(n):
            tell(i)
        done.wait()
        return {"msgs_per_s": n / (end[0] - start)}
    finally:
        ref.stop()


def s2_ask(n: int) -> Result:
    pykka = _pykka()

    class Echo(pykka.ThreadingActor):  # type: ignore[misc,name-defined]
        def on_receive(self, message: Any) -> Any:
            return message

    ref = Echo.start()
    try:
        ask = ref.ask
        clock = time.perf_counter
        latencies = [0.0] * n
        start = clock()
        for i in range(n):
            sent = clock()
            ask(i)
            latencies[i] = clock() - sent
        elapsed = clock() - start
    finally:
        ref.stop()
    return {
        "asks_per_s": n / elapsed,
        "p50_us": percentile(latencies, 0.5) * 1e6,
        "p99_us": percentile(latencies, 0.99) * 1e6,
    }


def s3_spawn(n: int) -> Result:
    pykka = _pykka()

    class Idle(pykka.ThreadingActor):  # type: ignore[misc,name-defined]
        def on_receive(self, message: Any) -> Any:
            return None

    warm = Idle.start()
    gc.collect()
    before = rss_bytes()
    start = time.perf_counter()
    refs = [Idle.start() for _ in range(n)]
    spawned = time.perf_counter() - start
    gc.collect()
    per_actor = (rss_bytes() - before) / n
    start = time.perf_counter()
    pykka.ActorRegistry.stop_all()
    stopped = time.perf_counter() - start
    del refs, warm
    return {"spawn_s": spawned, "bytes_per_actor": per_actor, "stop_s": stopped}


def s4_fanout(subscribers: int, events: int) -> Result:
    pykka = _pykka()
    done = threading.Event()
    lock = threading.Lock()
    log = FanoutLog(subscribers, events)

    class Subscriber(pykka.ThreadingActor):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.count = 0

        def on_receive(self, message: Any) -> Any:
            self.count += 1
            if self.count == events:
                with lock:
                    if log.seen(self.count):
                        done.set()

    refs = [Subscriber.start() for _ in range(subscribers)]
    try:
        tells = [ref.tell for ref in refs]
        start = time.perf_counter()
        for i in range(events):
            for tell in tells:
                tell(i)
        done.wait()
    finally:
        pykka.ActorRegistry.stop_all()
    return log.result(start)


def s5_restart(failures: int) -> Result:
    pykka = _pykka()
    failed: queue.SimpleQueue[None] = queue.SimpleQueue()
    done = threading.Event()
    log = RestartLog(failures + 1)

    class Flaky(pykka.ThreadingActor):  # type: ignore[misc,name-defined]
        def on_receive(self, message: Any) -> Any:
            if message is FAIL:
                log.fail()
            if log.work():
                done.set()

        def on_failure(self, exception_type: Any, exception_value: Any, traceback: Any) -> None:
            failed.put(None)

    start = time.perf_counter()
    ref = Flaky.start()
    try:
        for _ in range(failures):
            ref.tell(WORK)
            ref.tell(FAIL)
            failed.get()  # the actor stopped; a pykka application starts a new one
            ref = Flaky.start()
        ref.tell(WORK)
        done.wait()
    finally:
        pykka.ActorRegistry.stop_all()
    return log.result(start, 2 * failures + 1)


def s6_chaos(seconds: float, actors: int) -> Result:
    raise NotApplicable("no supervision tree or dead letters: no ledger to check")


def scenario(name: str, loop: str, **size: Any) -> Result:
    runners = scenario_table(globals())
    return runners[name](**size)
