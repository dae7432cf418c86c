"""The testing kit: TestProbe, wait_idle, and the pytest plugin."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import pytest

from actors import Actor, ActorRef, ActorSystem, Terminated
from actors.testing import TestProbe, VirtualTimeLoop

from ._helpers import Recorder


class Forwarder(Actor):
    def __init__(self, target: ActorRef) -> None:
        self.target = target

    async def receive(self, message: Any) -> Any:
        if message == "ask":
            return await self.target.ask("question")
        await self.target.tell(message)
        return None


async def test_expect_returns_matching_messages_in_order(actor_system: ActorSystem) -> None:
    probe = await TestProbe.create(actor_system)
    forwarder = await actor_system.spawn(functools.partial(Forwarder, probe.ref))
    await forwarder.tell("one")
    await forwarder.tell(2)
    assert await probe.expect("one") == "one"
    assert await probe.expect(int) == 2
    assert probe.last_sender == forwarder


async def test_expect_failure_names_the_expected_and_the_received_messages(
    actor_system: ActorSystem,
) -> None:
    probe = await TestProbe.create(actor_system)
    await probe.ref.tell("surprise")
    await probe.ref.tell("and more")
    with pytest.raises(AssertionError) as raised:
        await probe.expect("hello")
    text = str(raised.value)
    assert "expected 'hello'" in text
    assert "received 'surprise'" in text
    assert "'and more'" in text


async def test_expect_failure_by_type_names_the_type(actor_system: ActorSystem) -> None:
    probe = await TestProbe.create(actor_system)
    await probe.ref.tell("text")
    with pytest.raises(AssertionError, match="expected int, but received 'text'"):
        await probe.expect(int)


async def test_expect_times_out_in_exactly_its_timeout_on_virtual_time(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop
) -> None:
    probe = await TestProbe.create(actor_system)
    began = virtual_time.time()
    with pytest.raises(AssertionError, match="no message arrived"):
        await probe.expect("never", timeout=42.0)
    assert virtual_time.time() - began == 42.0


async def test_expect_no_message_passes_quietly_and_fails_naming_the_message(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop
) -> None:
    probe = await TestProbe.create(actor_system)
    await probe.expect_no_message(5.0)
    await probe.ref.tell("noise")
    with pytest.raises(AssertionError, match="received 'noise'"):
        await probe.expect_no_message(1.0)


async def test_expect_terminated_sees_the_end_of_a_watched_actor(
    actor_system: ActorSystem,
) -> None:
    probe = await TestProbe.create(actor_system)
    target = await actor_system.spawn(Recorder)
    stopping = asyncio.create_task(target.stop())
    terminated = await probe.expect_terminated(target)
    assert terminated == Terminated(target)
    await stopping


async def test_reply_answers_the_last_ask_the_probe_received(actor_system: ActorSystem) -> None:
    probe = await TestProbe.create(actor_system)
    forwarder = await actor_system.spawn(functools.partial(Forwarder, probe.ref))
    answer = asyncio.create_task(forwarder.ask("ask"))
    await probe.expect("question")
    probe.reply(42)
    assert await answer == 42
    with pytest.raises(RuntimeError, match="no ask"):
        probe.reply(43)


async def test_wait_idle_returns_once_all_work_is_done(actor_system: ActorSystem) -> None:
    done: list[int] = []

    class Chain(Actor):
        def __init__(self, n: int) -> None:
            self.n = n

        async def on_start(self) -> None:
            if self.n:
                self.next = await self.context.spawn(functools.partial(Chain, self.n - 1))

        async def receive(self, message: Any) -> Any:
            await asyncio.sleep(0)
            done.append(self.n)
            if self.n:
                await self.next.tell(message)

    head = await actor_system.spawn(functools.partial(Chain, 5))
    for _ in range(10):
        await head.tell("go")
    await actor_system.wait_idle()
    assert len(done) == 60


async def test_wait_idle_ignores_timers_due_later_and_runs_due_ones(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop
) -> None:
    ticks: list[float] = []

    class Ticker(Actor):
        async def on_start(self) -> None:
            self.context.schedule_every(10.0, "tick", initial_delay=0.0)

        def receive(self, message: Any) -> Any:
            ticks.append(virtual_time.time())

    await actor_system.spawn(Ticker)
    await actor_system.wait_idle()
    assert ticks == [0.0]
    assert virtual_time.time() == 0.0


def test_the_plugin_fails_a_test_that_leaks_a_task(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import asyncio
        import pytest

        @pytest.mark.actors
        async def test_leaks():
            asyncio.get_running_loop().create_task(asyncio.sleep(100))
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:asyncio")
    result.assert_outcomes(passed=1, errors=1)  # the body passed; its teardown found the leak
    result.stdout.fnmatch_lines(["*left asyncio tasks behind*"])


def test_the_plugin_fixtures_give_a_system_on_virtual_time_and_shut_it_down(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import asyncio
        from actors import Actor
        from actors.testing import VirtualTimeLoop

        SYSTEMS = []

        class Echo(Actor):
            def receive(self, message):
                return message

        async def test_uses_fixtures(actor_system, virtual_time):
            assert isinstance(asyncio.get_running_loop(), VirtualTimeLoop)
            ref = await actor_system.spawn(Echo)
            assert await ref.ask(1) == 1
            await asyncio.sleep(3600)
            assert virtual_time.time() == 3600
            SYSTEMS.append(actor_system)

        def test_the_system_was_shut_down():
            assert SYSTEMS[0].is_closed
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:asyncio")
    result.assert_outcomes(passed=2)


async def test_wait_idle_returns_while_a_sender_waits_on_a_failed_actor(
    actor_system: ActorSystem,
) -> None:
    from actors import ChildFailure

    class Undecided(Actor):
        """Leaves a failed child suspended: its queue and its blocked senders must wait."""

        async def on_start(self) -> None:
            self.kid = await self.context.spawn(Recorder, name="kid", capacity=1)

        def receive(self, message: Any) -> Any:
            return None

        async def on_child_failed(self, failure: ChildFailure) -> None:
            pass

    await actor_system.spawn(Undecided, name="parent")
    kid = actor_system.lookup("/parent/kid")
    assert kid is not None
    await kid.tell("boom")
    await actor_system.wait_idle()
    await kid.tell("queued")
    blocked = asyncio.create_task(kid.tell("blocked"))
    await asyncio.sleep(0)
    await actor_system.wait_idle()  # returns: nothing can happen until the parent decides
    assert not blocked.done()
    blocked.cancel()
    with pytest.raises(asyncio.CancelledError):
        await blocked
