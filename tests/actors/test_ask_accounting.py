"""Every ask ends exactly once: a reply, a typed error, or the caller's cancellation; the
ask counters agree with what callers saw, and no exception is left unretrieved."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections import Counter
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from actors import (
    Actor,
    ActorError,
    ActorRef,
    ActorSystem,
    AskTimeout,
    ChildFailure,
    MailboxFull,
    Overflow,
    Retry,
)
from actors.testing._virtual_time import run_virtual

from ._helpers import Gate


def _collect_unretrieved(loop: asyncio.AbstractEventLoop) -> list[str]:
    """Install a handler that records 'never retrieved' reports; returns the live list."""
    seen: list[str] = []

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        seen.append(str(context.get("message")))

    loop.set_exception_handler(handler)
    return seen


async def test_an_ask_refused_at_the_door_leaves_no_deadline_behind(
    virtual_time: Any,
) -> None:
    unretrieved = _collect_unretrieved(asyncio.get_running_loop())
    gate = asyncio.Event()
    async with ActorSystem("door") as system:
        ref = await system.spawn(lambda: Gate(gate, []), capacity=1, overflow=Overflow.REJECT)
        ref.tell_nowait("wait")
        await asyncio.sleep(0)  # the actor takes "wait" and blocks in its handler
        ref.tell_nowait("queued")
        for _ in range(3):
            try:
                await ref.ask("refused", timeout=1.0)
            except MailboxFull:
                pass
            else:
                raise AssertionError("the ask should have been refused")
        await asyncio.sleep(5)  # past every ask's deadline
        assert system.statistics().ask_timeouts == 0
        gate.set()
    gc.collect()
    assert unretrieved == []


async def test_an_ask_cancelled_while_waiting_for_room_is_not_a_timeout(
    virtual_time: Any,
) -> None:
    unretrieved = _collect_unretrieved(asyncio.get_running_loop())
    gate = asyncio.Event()
    async with ActorSystem("room") as system:
        ref = await system.spawn(lambda: Gate(gate, []), capacity=1)
        ref.tell_nowait("wait")
        await asyncio.sleep(0)
        ref.tell_nowait("queued")
        waiting = asyncio.create_task(ref.ask("blocked", timeout=1.0))
        await asyncio.sleep(0.1)
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)
        assert waiting.cancelled()
        await asyncio.sleep(5)
        assert system.statistics().ask_timeouts == 0
        gate.set()
    gc.collect()
    assert unretrieved == []


async def test_an_ask_that_times_out_waiting_for_room_counts_one_timeout(
    virtual_time: Any,
) -> None:
    gate = asyncio.Event()
    handled: list[Any] = []
    async with ActorSystem("room-timeout") as system:
        ref = await system.spawn(lambda: Gate(gate, handled), capacity=1)
        ref.tell_nowait("wait")
        await asyncio.sleep(0)
        ref.tell_nowait("queued")
        try:
            await ref.ask("blocked", timeout=1.0)
        except AskTimeout:
            pass
        else:
            raise AssertionError("expected AskTimeout")
        await asyncio.sleep(5)
        assert system.statistics().ask_timeouts == 1
        gate.set()
        await system.wait_idle()
        # The timed-out ask was never accepted: it is not delivered once room is made, and
        # the ledger holds without it.
        assert handled == ["wait", "queued"]
        stats = ref.statistics()
        assert stats.accepted == stats.processed + stats.dead_lettered == 2


class Sleeper(Actor):
    """Sleeps for the number of seconds it is asked with, then answers it; fails on -1, and
    on -2 in its first attempt only (it succeeds when retried)."""

    async def receive(self, message: Any) -> Any:
        if message == -1 or (message == -2 and self.context.attempt == 1):
            raise ValueError(message)
        await asyncio.sleep(message)
        return message


class Parent(Actor):
    """Spawns one Sleeper; restarts it on odd failures and resumes it on even ones."""

    def __init__(self, capacity: int, overflow: Overflow, retry: Retry | None = None) -> None:
        self.capacity = capacity
        self.overflow = overflow
        self.retry = retry
        self.failures = 0

    async def on_start(self) -> None:
        await self.context.spawn(
            Sleeper,
            name="child",
            capacity=self.capacity,
            overflow=self.overflow,
            shutdown=0.2,
            retry=self.retry,
        )

    def receive(self, message: Any) -> Any:
        return message

    async def on_child_failed(self, failure: ChildFailure) -> None:
        self.failures += 1
        if self.failures % 2:
            await self.context.restart_child(failure.child)
        else:
            self.context.resume_child(failure.child)


# One operation of the model: (kind, handler seconds, ask timeout, cancel the caller after).
Operation = tuple[str, float, float, float | None]

operations = st.lists(
    st.tuples(
        st.sampled_from(["ask", "ask", "ask", "fail", "flaky", "tell", "pause", "pause"]),
        st.sampled_from([0.0, 0.05, 0.3, 1.0]),
        st.sampled_from([0.1, 0.5, 2.0]),
        st.one_of(st.none(), st.sampled_from([0.0, 0.05, 0.4, 1.5])),
    ),
    min_size=1,
    max_size=40,
)


async def _run_model(
    program: list[Operation],
    capacity: int,
    overflow: Overflow,
    stop_at_end: bool,
    retry: Retry | None = None,
) -> None:
    loop = asyncio.get_running_loop()
    unretrieved = _collect_unretrieved(loop)
    outcomes: Counter[str] = Counter()
    asks: list[asyncio.Task[None]] = []

    async def one_ask(ref: ActorRef, seconds: float, timeout: float) -> None:
        try:
            await ref.ask(seconds, timeout=timeout)
        except asyncio.CancelledError:
            outcomes["cancelled"] += 1
            raise
        except AskTimeout:
            outcomes["timeout"] += 1
        except ActorError as error:
            outcomes[type(error).__name__] += 1
        else:
            outcomes["reply"] += 1

    async with ActorSystem("model", metrics=False) as system:
        parent = await system.spawn(lambda: Parent(capacity, overflow, retry))
        child = system.lookup(f"{parent.path}/child")
        assert child is not None
        for kind, seconds, timeout, cancel_after in program:
            if kind in ("ask", "fail", "flaky"):
                value = {"fail": -1.0, "flaky": -2.0}.get(kind, seconds)
                task = loop.create_task(one_ask(child, value, timeout))
                asks.append(task)
                if cancel_after is not None:
                    loop.call_later(cancel_after, task.cancel)
            elif kind == "tell":
                with contextlib.suppress(MailboxFull):
                    child.tell_nowait(seconds)
            else:
                await asyncio.sleep(seconds)
        if stop_at_end:
            await child.stop(timeout=0.5)
        await asyncio.gather(*asks, return_exceptions=True)
        # Each ask ended in exactly one way, and the counter saw the timeouts callers saw.
        assert sum(outcomes.values()) == len(asks), outcomes
        assert system.statistics().ask_timeouts == outcomes["timeout"], outcomes
    gc.collect()
    assert unretrieved == [], unretrieved


@settings(max_examples=150, deadline=None)
@given(
    program=operations,
    capacity=st.sampled_from([1, 2, 8]),
    overflow=st.sampled_from(list(Overflow)),
    stop_at_end=st.booleans(),
    retry=st.one_of(st.none(), st.builds(Retry, st.integers(1, 3), to_back=st.booleans())),
)
def test_every_ask_ends_exactly_once_and_the_counters_agree(
    program: list[Operation],
    capacity: int,
    overflow: Overflow,
    stop_at_end: bool,
    retry: Retry | None,
) -> None:
    """Also with a Retry: an ask to a retried message is answered once, by its final outcome."""
    run_virtual(_run_model(program, capacity, overflow, stop_at_end, retry))
