"""Property tests: the message ledger (semantics 7) and the overflow policies' model."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from actors import Actor, ActorSystem, Backoff, ChildFailure, MailboxFull, Overflow, Retry
from actors.testing._virtual_time import run_virtual

from ._helpers import Gate

OVERFLOWS = list(Overflow)


class Worker(Actor):
    """Fails on ("fail", n) until its attempt n (always for n = 0), sleeps on ("sleep", s),
    stops itself on ("quit",)."""

    def receive(self, message: Any) -> Any:
        match message:
            case ("fail", n) if n == 0 or self.context.attempt < n:
                raise RuntimeError("injected")
            case ("quit", _):
                self.context.stop()
        return message

    async def on_start(self) -> None:
        await asyncio.sleep(0)


class SleepyWorker(Worker):
    async def receive(self, message: Any) -> Any:  # type: ignore[override]
        if message[0] == "sleep":
            await asyncio.sleep(message[1])
        return super().receive(message)


class Boss(Actor):
    """Supervises `n` workers with a directive chosen per failure from `directives`."""

    def __init__(
        self,
        n: int,
        capacity: int,
        overflow: Overflow,
        directives: list[str],
        retry: Retry | None = None,
    ) -> None:
        self.n = n
        self.retry = retry
        self.capacity = capacity
        self.overflow = overflow
        self.directives = directives
        self.decisions = 0

    async def on_start(self) -> None:
        for i in range(self.n):
            await self.context.spawn(
                SleepyWorker,
                name=f"w{i}",
                capacity=self.capacity,
                overflow=self.overflow,
                shutdown=1.0,
                retry=self.retry,
            )

    def receive(self, message: Any) -> Any:
        return None

    async def on_child_failed(self, failure: ChildFailure) -> None:
        directive = self.directives[self.decisions % len(self.directives)]
        self.decisions += 1
        if directive == "resume":
            self.context.resume_child(failure.child)
        elif directive == "restart":
            await self.context.restart_child(failure.child)
        else:
            self.context.stop_child(failure.child)


operation = st.one_of(
    st.tuples(st.just("tell"), st.integers(0, 2), st.integers(0, 9)),
    st.tuples(st.just("tell_nowait"), st.integers(0, 2), st.integers(0, 9)),
    st.tuples(st.just("ask"), st.integers(0, 2), st.integers(0, 9)),
    st.tuples(st.just("fail"), st.integers(0, 2), st.integers(0, 3)),
    st.tuples(st.just("sleep"), st.integers(0, 2), st.integers(1, 3)),
    st.tuples(st.just("quit"), st.integers(0, 2), st.just(0)),
    st.tuples(st.just("advance"), st.just(0), st.integers(1, 3)),
    st.tuples(st.just("stop"), st.integers(0, 2), st.just(0)),
    st.tuples(st.just("kill"), st.integers(0, 2), st.just(0)),
)


@settings(max_examples=120, deadline=None)
@given(
    operations=st.lists(operation, max_size=60),
    capacity=st.integers(1, 4),
    overflow=st.sampled_from(OVERFLOWS),
    directives=st.lists(st.sampled_from(["resume", "restart", "stop"]), min_size=1, max_size=4),
    retry=st.one_of(
        st.none(),
        st.builds(
            Retry,
            st.integers(1, 3),
            backoff=st.one_of(st.none(), st.just(Backoff(min=0.5, max=2.0, jitter=0.0))),
            to_back=st.booleans(),
        ),
    ),
)
def test_every_accepted_message_is_processed_or_dead_lettered(
    operations: list[tuple[str, int, int]],
    capacity: int,
    overflow: Overflow,
    directives: list[str],
    retry: Retry | None,
) -> None:
    """With or without a Retry: a retried message is accepted once and ends once; while it
    waits for another attempt it is held (neither processed nor dead-lettered)."""

    async def scenario() -> None:
        system = ActorSystem("ledger")
        boss = await system.spawn(
            functools.partial(Boss, 3, capacity, overflow, directives, retry), name="boss"
        )
        workers = [system.lookup(f"/boss/w{i}") for i in range(3)]
        cells = [w._cell for w in workers if w is not None]
        pending: list[asyncio.Task[Any]] = []
        for kind, index, value in operations:
            ref = workers[index]
            assert ref is not None
            match kind:
                case "tell":
                    pending.append(asyncio.create_task(ref.tell(("msg", value), timeout=2.0)))
                case "tell_nowait":
                    with contextlib.suppress(MailboxFull):
                        ref.tell_nowait(("msg", value))
                case "ask":
                    pending.append(asyncio.create_task(ref.ask(("msg", value), timeout=2.0)))
                case "fail" | "sleep" | "quit":
                    pending.append(asyncio.create_task(ref.tell((kind, value), timeout=2.0)))
                case "advance":
                    await asyncio.sleep(value)
                case "stop":
                    pending.append(asyncio.create_task(ref.stop(timeout=1.0)))
                case "kill":
                    ref.kill()
        await asyncio.gather(*pending, return_exceptions=True)
        await system.wait_idle()
        for cell in cells:
            stats = cell.statistics()
            held = 0 if cell.redelivery is None else cell.redelivery.held
            assert stats.accepted == stats.processed + stats.dead_lettered + stats.depth + held, (
                cell.path,
                stats,
                held,
            )
            if cell.state.name in ("RUNNING", "STOPPED") and not held:
                assert stats.depth == 0  # a message held first holds the queue back
        await system.shutdown()
        for cell in cells:
            stats = cell.statistics()
            assert stats.accepted == stats.processed + stats.dead_lettered, (cell.path, stats)
        assert not boss.is_alive

    run_virtual(scenario())


@settings(max_examples=150, deadline=None)
@given(
    capacity=st.integers(1, 5),
    overflow=st.sampled_from(OVERFLOWS),
    count=st.integers(0, 12),
)
def test_overflow_policies_match_their_model(capacity: int, overflow: Overflow, count: int) -> None:
    """With the actor busy, `count` messages told without waiting: the model says which are
    handled, which are dead letters and which are refused to the sender."""

    async def scenario() -> tuple[list[Any], list[Any], list[Any]]:
        async with ActorSystem("model") as system:
            gate = asyncio.Event()
            log: list[Any] = []
            ref = await system.spawn(
                functools.partial(Gate, gate, log), capacity=capacity, overflow=overflow
            )
            ref.tell_nowait("wait")
            await asyncio.sleep(0)
            refused: list[Any] = []
            for i in range(count):
                try:
                    ref.tell_nowait(i)
                except MailboxFull as full:
                    refused.append(full.message)
            gate.set()
            await system.wait_idle()
            dead = [letter.message for letter in system.dead_letters.recent]
        return log[1:], dead, refused

    handled, dead, refused = run_virtual(scenario())
    messages = list(range(count))
    if overflow is Overflow.DROP_OLDEST:
        expected = (messages[-capacity:] if count else [], messages[:-capacity], [])
    elif overflow is Overflow.DROP_NEWEST:
        expected = (messages[:capacity], messages[capacity:], [])
    else:  # BLOCK and REJECT refuse to the sender when tell_nowait finds no room
        expected = (messages[:capacity], [], messages[capacity:])
    assert (handled, dead, refused) == expected
