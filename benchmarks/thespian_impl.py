"""The scenarios on thespian's in-process ``simpleSystemBase`` (actors run in the calling
thread, messages are delivered as ``tell`` and ``ask`` are called).

Tell is ``system.tell``, ask is ``system.ask``, from outside any actor. thespian has no
event bus: for S4 the publisher tells every subscriber each event itself. Restarts follow
thespian's model: a handler that raises gets the message once more, then the message goes
back to its sender as a ``PoisonMessage`` and the actor lives on; for S5 the parent actor,
on the ``PoisonMessage``, sends the child an ``ActorExitRequest``, creates a new child and
forwards the next messages to it.
"""

from __future__ import annotations

import gc
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

ASK_TIMEOUT = 60.0


def _thespian() -> Any:
    try:
        import thespian.actors  # type: ignore[import-untyped]
    except ImportError:
        raise NotApplicable("thespian not installed (pip install -e '.[bench]')") from None
    return thespian.actors


def _system() -> Any:
    # logDefs=False: thespian logs through the standard logging set up by the harness.
    return _thespian().ActorSystem("simpleSystemBase", logDefs=False)


def s1_tell(n: int) -> Result:
    th = _thespian()
    end = [0.0]

    class Sink(th.Actor):  # type: ignore[misc,name-defined]
        count = 0

        def receiveMessage(self, message: Any, sender: Any) -> None:
            if message == "end?":
                self.send(sender, end[0])
                return
            self.count += 1
            if self.count == n:
                end[0] = time.perf_counter()

    system = _system()
    try:
        address = system.createActor(Sink)
        tell = system.tell
        start = time.perf_counter()
        for i in range(n):
            tell(address, i)
        finished = system.ask(address, "end?", ASK_TIMEOUT)
    finally:
        system.shutdown()
    return {"msgs_per_s": n / (finished - start)}


def s2_ask(n: int) -> Result:
    th = _thespian()

    class Echo(th.Actor):  # type: ignore[misc,name-defined]
        def receiveMessage(self, message: Any, sender: Any) -> None:
            self.send(sender, message)

    system = _system()
    try:
        address = system.createActor(Echo)
        ask = system.ask
        clock = time.perf_counter
        latencies = [0.0] * n
        start = clock()
        for i in range(n):
            sent = clock()
            ask(address, i, ASK_TIMEOUT)
            latencies[i] = clock() - sent
        elapsed = clock() - start
    finally:
        system.shutdown()
    return {
        "asks_per_s": n / elapsed,
        "p50_us": percentile(latencies, 0.5) * 1e6,
        "p99_us": percentile(latencies, 0.99) * 1e6,
    }


def s3_spawn(n: int) -> Result:
    th = _thespian()

    class Idle(th.Actor):  # type: ignore[misc,name-defined]
        def receiveMessage(self, message: Any, sender: Any) -> None:
            pass

    system = _system()
    try:
        system.createActor(Idle)
        gc.collect()
        before = rss_bytes()
        start = time.perf_counter()
        create = system.createActor
        for _ in range(n):
            create(Idle)
        spawned = time.perf_counter() - start
        gc.collect()
        per_actor = (rss_bytes() - before) / n
    finally:
        start = time.perf_counter()
        system.shutdown()
        stopped = time.perf_counter() - start
    return {"spawn_s": spawned, "bytes_per_actor": per_actor, "stop_s": stopped}


def s4_fanout(subscribers: int, events: int) -> Result:
    th = _thespian()
    log = FanoutLog(subscribers, events)

    class Subscriber(th.Actor):  # type: ignore[misc,name-defined]
        count = 0

        def receiveMessage(self, message: Any, sender: Any) -> None:
            if message == "end?":
                self.send(sender, log.end)
                return
            self.count += 1
            log.seen(self.count)

    system = _system()
    try:
        addresses = [system.createActor(Subscriber) for _ in range(subscribers)]
        tell = system.tell
        start = time.perf_counter()
        for i in range(events):
            for address in addresses:
                tell(address, i)
        # The simple system base runs every actor in this thread: once the last subscriber
        # answers, every event has been delivered.
        system.ask(addresses[-1], "end?", ASK_TIMEOUT)
    finally:
        system.shutdown()
    return log.result(start)


def s5_restart(failures: int) -> Result:
    th = _thespian()
    log = RestartLog(failures + 1)

    class Flaky(th.Actor):  # type: ignore[misc,name-defined]
        def receiveMessage(self, message: Any, sender: Any) -> None:
            if message == FAIL:
                log.fail()  # thespian retries once: the log keeps the first attempt's time
            if message != WORK:
                return  # thespian's own notices
            if log.work():
                self.send(sender, "done")

    class Parent(th.Actor):  # type: ignore[misc,name-defined]
        def receiveMessage(self, message: Any, sender: Any) -> None:
            if message == "go":
                self.asker = sender
                self.left = failures
                self.child = self.createActor(Flaky)
                self._next()
            elif isinstance(message, th.PoisonMessage):
                self.send(self.child, th.ActorExitRequest())
                self.child = self.createActor(Flaky)
                self._next()
            elif message == "done":
                self.send(self.asker, "done")

        def _next(self) -> None:
            self.send(self.child, WORK)
            if self.left:
                self.left -= 1
                self.send(self.child, FAIL)

    system = _system()
    try:
        parent = system.createActor(Parent)
        start = time.perf_counter()
        system.ask(parent, "go", ASK_TIMEOUT)
    finally:
        system.shutdown()
    return log.result(start, 2 * failures + 1)


def s6_chaos(seconds: float, actors: int) -> Result:
    raise NotApplicable("no supervision tree or dead letters: no ledger to check")


def scenario(name: str, loop: str, **size: Any) -> Result:
    runners = scenario_table(globals())
    return runners[name](**size)
