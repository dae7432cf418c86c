"""Scatter-gather and tail-chopping over a pool's routees, a topic's subscribers or refs;
asks to a BROADCAST pool."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actors import (
    Actor,
    ActorFailed,
    ActorRef,
    ActorStopped,
    ActorSystem,
    AmbiguousAsk,
    Routing,
    ScatterResult,
)
from actors.testing import VirtualTimeLoop
from actors.testing._virtual_time import run_virtual
from supervision import OneForOne

# Seconds each routee takes to answer, by routee name; a negative value makes it raise.
Delays = dict[str, float]


class Timed(Actor):
    """Answers (its name, the message) after the delay ``delays`` gives its name; raises
    when that delay is negative."""

    def __init__(self, delays: Delays) -> None:
        self.delays = delays

    async def receive(self, message: Any) -> Any:
        delay = self.delays.get(self.context.name, 0.0)
        if delay < 0:
            raise RuntimeError(f"{self.context.name} failed")
        await asyncio.sleep(delay)
        return (self.context.name, message)


async def _pool(system: ActorSystem, delays: Delays, size: int = 3) -> ActorRef:
    return await system.spawn_pool(lambda: Timed(delays), size=size, name="pool")


def _names(refs: tuple[ActorRef, ...]) -> list[str]:
    return [ref.name for ref in refs]


def _late_replies(system: ActorSystem) -> int:
    return sum(ref._cell.late_replies for ref in system.actors)


async def test_scatter_gathers_every_reply_in_arrival_order(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop
) -> None:
    pool = await _pool(actor_system, {"routee-0": 0.3, "routee-1": 0.1, "routee-2": 0.2})
    began = virtual_time.time()
    result = await actor_system.scatter(pool, "q", timeout=1.0)
    assert virtual_time.time() - began == pytest.approx(0.3)  # the slowest, not the timeout
    assert result.values == (("routee-1", "q"), ("routee-2", "q"), ("routee-0", "q"))
    assert [reply.elapsed for reply in result.replies] == pytest.approx([0.1, 0.2, 0.3])
    assert _names(result.asked) == ["routee-0", "routee-1", "routee-2"]
    assert result.failures == result.timed_out == result.abandoned == ()


async def test_scatter_first_returns_the_first_reply_and_abandons_the_others(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop
) -> None:
    pool = await _pool(actor_system, {"routee-0": 0.3, "routee-1": 0.1, "routee-2": 0.2})
    began = virtual_time.time()
    result = await actor_system.scatter(pool, "q", timeout=1.0, first=True)
    assert virtual_time.time() - began == pytest.approx(0.1)
    assert result.first_reply is not None
    assert result.first_reply.target.name == "routee-1"
    assert _names(result.abandoned) == ["routee-0", "routee-2"]
    await actor_system.wait_idle()
    # The abandoned routees still answered; their replies were discarded and counted.
    assert _late_replies(actor_system) == 2
    assert actor_system.statistics().ask_timeouts == 0


async def test_scatter_records_failures_and_timeouts_and_ends_at_the_timeout(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop
) -> None:
    pool = await _pool(actor_system, {"routee-0": -1.0, "routee-1": 0.2, "routee-2": 9.0})
    began = virtual_time.time()
    result = await actor_system.scatter(pool, "q", timeout=1.0)
    assert virtual_time.time() - began == pytest.approx(1.0)
    assert result.values == (("routee-1", "q"),)
    [failure] = result.failures
    assert failure.target.name == "routee-0"
    assert isinstance(failure.error, ActorFailed)
    assert isinstance(failure.error.__cause__, RuntimeError)
    assert _names(result.timed_out) == ["routee-2"]
    assert actor_system.statistics().ask_timeouts == 1


async def test_scatter_first_skips_a_failure_and_waits_for_a_reply(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop
) -> None:
    pool = await _pool(actor_system, {"routee-0": -1.0, "routee-1": 0.5, "routee-2": 0.2})
    result = await actor_system.scatter(pool, "q", timeout=1.0, first=True)
    assert _names(tuple(f.target for f in result.failures)) == ["routee-0"]
    assert result.values == (("routee-2", "q"),)
    assert _names(result.abandoned) == ["routee-1"]


async def test_scatter_first_with_nobody_answering_returns_no_reply(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop
) -> None:
    pool = await _pool(actor_system, {"routee-0": -1.0, "routee-1": 5.0}, size=2)
    result = await actor_system.scatter(pool, "q", timeout=1.0, first=True)
    assert result.first_reply is None
    assert _names(result.timed_out) == ["routee-1"]
    assert len(result.failures) == 1


async def test_scatter_to_a_topic_asks_its_subscribers(actor_system: ActorSystem) -> None:
    delays: Delays = {}
    eu = await actor_system.spawn(lambda: Timed(delays), name="eu")
    us = await actor_system.spawn(lambda: Timed(delays), name="us")
    await actor_system.subscribe(eu, "prices.eu.>")
    await actor_system.subscribe(us, "prices.*.quote")
    result = await actor_system.scatter("prices.eu.quote", "bid", timeout=1.0)
    assert sorted(result.values) == [("eu", "bid"), ("us", "bid")]
    only_eu = await actor_system.scatter("prices.eu.spot", "bid", timeout=1.0)
    assert only_eu.values == (("eu", "bid"),)
    nobody = await actor_system.scatter("weather.today", "bid", timeout=1.0)
    assert nobody == ScatterResult((), (), (), (), ())


async def test_scatter_to_refs_given_and_to_an_empty_list(actor_system: ActorSystem) -> None:
    delays: Delays = {}
    refs = [await actor_system.spawn(lambda: Timed(delays), name=f"a{i}") for i in range(2)]
    result = await actor_system.scatter(refs, 7, timeout=1.0)
    assert sorted(result.values) == [("a0", 7), ("a1", 7)]
    assert await actor_system.scatter([], 7, timeout=1.0) == ScatterResult((), (), (), (), ())


async def test_tail_chop_asks_the_next_routee_after_each_interval(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop
) -> None:
    pool = await _pool(
        actor_system, {"routee-0": 10.0, "routee-1": 10.0, "routee-2": 0.1, "routee-3": 0.0}, 4
    )
    began = virtual_time.time()
    result = await actor_system.tail_chop(pool, "q", interval=0.5, timeout=5.0)
    # routee-0 at 0, routee-1 at 0.5, routee-2 at 1.0 answers at 1.1; routee-3 never asked.
    assert virtual_time.time() - began == pytest.approx(1.1)
    assert _names(result.asked) == ["routee-0", "routee-1", "routee-2"]
    assert result.values == (("routee-2", "q"),)
    assert result.replies[0].elapsed == pytest.approx(1.1)
    assert _names(result.abandoned) == ["routee-0", "routee-1"]


async def test_tail_chop_moves_on_at_once_when_an_ask_fails(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop
) -> None:
    pool = await _pool(actor_system, {"routee-0": -1.0, "routee-1": 0.1, "routee-2": 0.0})
    began = virtual_time.time()
    result = await actor_system.tail_chop(pool, "q", interval=2.0, timeout=5.0)
    assert virtual_time.time() - began == pytest.approx(0.1)  # no interval waited
    assert _names(result.asked) == ["routee-0", "routee-1"]
    assert result.values == (("routee-1", "q"),)


async def test_tail_chop_times_out_when_nobody_answers_in_time(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop
) -> None:
    pool = await _pool(actor_system, dict.fromkeys(("routee-0", "routee-1"), 10.0), 2)
    began = virtual_time.time()
    result = await actor_system.tail_chop(pool, "q", interval=0.4, timeout=1.0)
    assert virtual_time.time() - began == pytest.approx(1.0)
    assert result.replies == ()
    assert _names(result.timed_out) == ["routee-0", "routee-1"]
    assert actor_system.statistics().ask_timeouts == 2


async def test_tail_chop_starts_each_request_at_the_next_routee_in_turn(
    actor_system: ActorSystem,
) -> None:
    pool = await _pool(actor_system, {})
    firsts = [
        (await actor_system.tail_chop(pool, i, interval=1.0)).replies[0].target.name
        for i in range(4)
    ]
    assert firsts == ["routee-0", "routee-1", "routee-2", "routee-0"]


async def test_an_ask_to_a_broadcast_pool_raises_and_delivers_nothing(
    actor_system: ActorSystem,
) -> None:
    seen: list[str] = []

    class Collect(Actor):
        def receive(self, message: Any) -> Any:
            seen.append(self.context.name)
            return self.context.name

    pool = await actor_system.spawn_pool(Collect, size=3, routing=Routing.BROADCAST)
    with pytest.raises(AmbiguousAsk, match=r"system\.scatter"):
        await pool.ask("hello")
    await actor_system.wait_idle()
    assert seen == []
    result = await actor_system.scatter(pool, "hello", timeout=1.0)
    assert sorted(result.values) == ["routee-0", "routee-1", "routee-2"]
    await pool.tell("told")
    await actor_system.wait_idle()
    assert sorted(seen) == ["routee-0", "routee-0", "routee-1", "routee-1", "routee-2", "routee-2"]
    stats = pool.statistics()
    assert stats.accepted == stats.processed == 2
    assert actor_system.dead_letters.count == 0


async def test_scatter_refuses_bad_targets_and_timeouts(actor_system: ActorSystem) -> None:
    pool = await _pool(actor_system, {})
    single = await actor_system.spawn(lambda: Timed({}), name="single")
    with pytest.raises(TypeError, match="not a local pool"):
        await actor_system.scatter(single, "q")
    with pytest.raises(TypeError, match=r"targets\[1\]"):
        await actor_system.scatter([single, "nope"], "q")  # type: ignore[list-item]
    with pytest.raises(TypeError, match="scatter needs"):
        await actor_system.scatter(42, "q")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="wildcard"):
        await actor_system.scatter("prices.*", "q")
    for timeout in (0, -1.0, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="timeout"):
            await actor_system.scatter(pool, "q", timeout=timeout)
    with pytest.raises(ValueError, match="interval"):
        await actor_system.tail_chop(pool, "q", interval=0)
    with pytest.raises(TypeError, match="timeout"):
        await actor_system.scatter(pool, "q", timeout=None)  # type: ignore[arg-type]
    await pool.stop()
    with pytest.raises(ActorStopped):
        await actor_system.scatter(pool, "q")
    assert actor_system.statistics().ask_timeouts == 0


async def test_scatter_refuses_a_pool_of_another_system(actor_system: ActorSystem) -> None:
    async with ActorSystem("other") as other:
        pool = await _pool(other, {})
        with pytest.raises(ValueError, match="another actor system"):
            await actor_system.scatter(pool, "q")


async def test_cancelling_a_scatter_cancels_its_asks(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop
) -> None:
    pool = await _pool(actor_system, dict.fromkeys(("routee-0", "routee-1", "routee-2"), 5.0))
    request = asyncio.create_task(actor_system.scatter(pool, "q", timeout=10.0))
    await asyncio.sleep(1.0)
    request.cancel()
    with pytest.raises(asyncio.CancelledError):
        await request
    await actor_system.wait_idle()
    assert _late_replies(actor_system) == 3
    assert actor_system.statistics().ask_timeouts == 0


async def test_scatter_from_a_handler_carries_the_handled_correlation_id(
    actor_system: ActorSystem,
) -> None:
    class Echo(Actor):
        def receive(self, message: Any) -> Any:
            return self.context.correlation_id

    refs = [await actor_system.spawn(Echo, name=f"e{i}") for i in range(2)]

    class Asker(Actor):
        async def receive(self, message: Any) -> Any:
            return (await self.context.system.scatter(refs, message)).values

    asker = await actor_system.spawn(Asker)
    assert await asker.ask("go", correlation_id="order-7") == ("order-7", "order-7")


# ---------------------------------------------------------------------- the accounting

# A target: seconds to answer (negative: it raises); a request: (form, timeout, interval).
requests = st.lists(
    st.tuples(
        st.sampled_from(["all", "first", "tail"]),
        st.sampled_from([0.1, 0.5, 2.0]),
        st.sampled_from([0.05, 0.3]),
        st.one_of(st.none(), st.sampled_from([0.0, 0.2, 1.0])),
    ),
    min_size=1,
    max_size=6,
)


async def _run_requests(
    delays: list[float], program: list[tuple[str, float, float, float | None]]
) -> None:
    loop = asyncio.get_running_loop()
    unretrieved: list[str] = []
    loop.set_exception_handler(lambda _, context: unretrieved.append(str(context)))
    named = {f"routee-{index}": delay for index, delay in enumerate(delays)}
    async with ActorSystem("scatter-model", metrics=False) as system:
        # A budget no program exhausts: the model is about asks, not about giving up.
        budget = OneForOne(max_restarts=10_000, within=1.0)
        pool = await system.spawn_pool(lambda: Timed(named), size=len(delays), strategy=budget)
        results: list[ScatterResult] = []
        cancelled = 0

        async def one(form: str, timeout: float, interval: float) -> None:
            if form == "tail":
                result = await system.tail_chop(pool, 0, interval=interval, timeout=timeout)
            else:
                result = await system.scatter(pool, 0, timeout=timeout, first=form == "first")
            results.append(result)

        tasks = []
        for form, timeout, interval, cancel_after in program:
            task = loop.create_task(one(form, timeout, interval))
            tasks.append(task)
            if cancel_after is not None:
                loop.call_later(cancel_after, task.cancel)
        for task in tasks:
            try:
                await task
            except asyncio.CancelledError:
                cancelled += 1
        assert len(results) + cancelled == len(program)
        for result in results:
            # Every target asked ends in exactly one outcome; none is listed twice.
            outcomes = [
                *(reply.target for reply in result.replies),
                *(failure.target for failure in result.failures),
                *result.timed_out,
                *result.abandoned,
            ]
            assert sorted(outcomes, key=id) == sorted(result.asked, key=id)
            assert len(set(result.asked)) == len(result.asked)
        # The counter saw every timeout a result recorded; a cancelled request's asks were
        # cancelled, never timed out.
        assert system.statistics().ask_timeouts == sum(len(r.timed_out) for r in results)
        await system.wait_idle()
        for routee in system.actors:
            stats = routee.statistics()
            assert stats.accepted == stats.processed + stats.dead_lettered
    gc.collect()
    assert unretrieved == []


@settings(max_examples=40, deadline=None)
@given(
    delays=st.lists(st.sampled_from([-1.0, 0.0, 0.1, 0.4, 3.0]), min_size=1, max_size=4),
    program=requests,
)
def test_every_scatter_ask_ends_exactly_once_and_the_counters_agree(
    delays: list[float], program: list[tuple[str, float, float, float | None]]
) -> None:
    run_virtual(_run_requests(delays, program))
