"""Failures and the mechanisms parents use on failed children (semantics 6 and 11)."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import pytest
from structlog.testing import capture_logs

from actors import Actor, ActorRef, ActorStartError, ActorSystem, ChildFailure

from ._helpers import Recorder


class Stateful(Actor):
    """Counts messages; "boom" raises; "count" answers the count and its incarnation tag."""

    incarnations = 0

    def __init__(self, journal: list[str]) -> None:
        Stateful.incarnations += 1
        self.tag = Stateful.incarnations
        self.journal = journal
        self.count = 0

    async def on_start(self) -> None:
        self.journal.append(f"start {self.tag}")

    async def receive(self, message: Any) -> Any:
        if message == "boom":
            raise RuntimeError(f"boom in {self.tag}")
        if message == "count":
            return (self.tag, self.count)
        self.count += 1
        return None

    async def on_stop(self) -> None:
        self.journal.append(f"stop {self.tag}")


class Parent(Actor):
    """Applies `decision` ("resume", "restart", "stop", "raise") to failed children."""

    def __init__(self, journal: list[str], decision: str) -> None:
        self.journal = journal
        self.decision = decision
        self.failures: list[ChildFailure] = []

    async def on_start(self) -> None:
        await self.context.spawn(functools.partial(Stateful, self.journal), name="child")

    async def receive(self, message: Any) -> Any:
        return [(f.child.path, repr(f.error), f.message) for f in self.failures]

    async def on_child_failed(self, failure: ChildFailure) -> None:
        self.failures.append(failure)
        if self.decision == "resume":
            self.context.resume_child(failure.child)
        elif self.decision == "restart":
            await self.context.restart_child(failure.child)
        elif self.decision == "stop":
            self.context.stop_child(failure.child)
        else:
            raise LookupError("cannot cope")


async def _tree(system: ActorSystem, decision: str) -> tuple[ActorRef, ActorRef, list[str]]:
    journal: list[str] = []
    parent = await system.spawn(functools.partial(Parent, journal, decision), name="parent")
    child = system.lookup("/parent/child")
    assert child is not None
    return parent, child, journal


async def test_a_failing_message_becomes_a_dead_letter_with_its_exception(
    actor_system: ActorSystem,
) -> None:
    _parent, child, _ = await _tree(actor_system, "resume")
    await child.tell("boom")
    await actor_system.wait_idle()
    [letter] = actor_system.dead_letters.recent
    assert (letter.message, letter.reason, letter.recipient) == ("boom", "failed", child)
    assert isinstance(letter.error, RuntimeError)


async def test_the_parent_is_told_and_resume_keeps_the_instance_and_its_state(
    actor_system: ActorSystem,
) -> None:
    parent, child, journal = await _tree(actor_system, "resume")
    await child.tell(1)
    await child.tell("boom")
    await child.tell(2)
    tag, count = await child.ask("count")
    assert count == 2
    assert journal == [f"start {tag}"]
    [(path, error, message)] = await parent.ask("failures")
    assert path == "/parent/child"
    assert "boom" in error
    assert message == "boom"


async def test_restart_makes_a_fresh_instance_and_keeps_ref_and_queued_messages(
    actor_system: ActorSystem,
) -> None:
    _parent, child, journal = await _tree(actor_system, "restart")
    first_tag, _ = await child.ask("count")
    child.tell_nowait(1)
    child.tell_nowait("boom")
    child.tell_nowait(2)
    child.tell_nowait(3)
    tag, count = await child.ask("count")
    assert tag == first_tag + 1
    assert count == 2  # the messages queued behind the failure reached the new incarnation
    assert journal == [f"start {first_tag}", f"stop {first_tag}", f"start {tag}"]
    assert actor_system.lookup("/parent/child") is child
    assert child._cell.restarts == 1


async def test_stop_directive_stops_the_child_for_good(actor_system: ActorSystem) -> None:
    _parent, child, _journal = await _tree(actor_system, "stop")
    child.tell_nowait("boom")
    child.tell_nowait("after")
    await child.wait_stopped()
    assert not child.is_alive
    reasons = [(d.message, d.reason) for d in actor_system.dead_letters.recent]
    assert reasons == [("boom", "failed"), ("after", "stopped")]


async def test_a_parent_whose_hook_raises_fails_in_turn_escalated(
    actor_system: ActorSystem,
) -> None:
    class Grand(Actor):
        def __init__(self) -> None:
            self.seen: list[ChildFailure] = []

        async def on_start(self) -> None:
            await self.context.spawn(functools.partial(Parent, [], "raise"), name="parent")

        def receive(self, message: Any) -> Any:
            return self.seen

        async def on_child_failed(self, failure: ChildFailure) -> None:
            self.seen.append(failure)
            self.context.resume_child(failure.child)

    grand = await actor_system.spawn(Grand, name="grand")
    child = actor_system.lookup("/grand/parent/child")
    assert child is not None
    await child.tell("boom")
    await actor_system.wait_idle()
    [failure] = await grand.ask("seen")
    assert failure.child.path == "/grand/parent"
    assert failure.escalated
    assert isinstance(failure.error, LookupError)


async def test_without_a_supervisor_a_failed_top_level_actor_is_stopped_and_logged(
    actor_system: ActorSystem,
) -> None:
    ref = await actor_system.spawn(Recorder, name="lonely")
    with capture_logs() as logs:
        ref.tell_nowait("boom")
        ref.tell_nowait("queued")
        await ref.wait_stopped()
    [failed] = [entry for entry in logs if entry["event"] == "actor.failed"]
    assert failed["actor"] == "/lonely"
    assert failed["log_level"] == "error"
    assert isinstance(failed["exc_info"], RuntimeError)
    assert [(d.message, d.reason) for d in actor_system.dead_letters.recent] == [
        ("boom", "failed"),
        ("queued", "stopped"),
    ]


async def test_a_plain_parent_stops_a_failed_child_by_default(actor_system: ActorSystem) -> None:
    class Plain(Actor):
        async def on_start(self) -> None:
            await self.context.spawn(Recorder, name="kid")

        def receive(self, message: Any) -> Any:
            return None

    parent = await actor_system.spawn(Plain, name="plain")
    kid = actor_system.lookup("/plain/kid")
    assert kid is not None
    await kid.tell("boom")
    await kid.wait_stopped()
    assert parent.is_alive


@pytest.mark.parametrize("error", [KeyboardInterrupt, SystemExit])
def test_keyboard_interrupt_and_system_exit_are_never_treated_as_failures(
    error: type[BaseException],
) -> None:
    class Fatal(Actor):
        def receive(self, message: Any) -> Any:
            raise error()

    async def main() -> None:
        system = ActorSystem("fatal")
        ref = await system.spawn(Fatal)
        await ref.tell("x")
        await asyncio.sleep(1)

    with pytest.raises(error):
        asyncio.run(main())


async def test_cancelled_error_in_a_handler_is_not_a_failure(actor_system: ActorSystem) -> None:
    class Cancels(Actor):
        def receive(self, message: Any) -> Any:
            raise asyncio.CancelledError

    ref = await actor_system.spawn(Cancels)
    await ref.tell("x")
    await ref.wait_stopped()
    assert ref._cell.failed == 0
    assert [d.reason for d in actor_system.dead_letters.recent] == ["stopped"]


async def test_a_restart_whose_on_start_fails_raises_and_leaves_the_child_halted(
    actor_system: ActorSystem,
) -> None:
    attempts: list[int] = []

    class Flaky(Actor):
        async def on_start(self) -> None:
            attempts.append(1)
            if len(attempts) > 1:
                raise OSError("still broken")

        def receive(self, message: Any) -> Any:
            raise RuntimeError("fail")

    outcome: list[BaseException] = []

    class Keeper(Actor):
        async def on_start(self) -> None:
            await self.context.spawn(Flaky, name="flaky")

        def receive(self, message: Any) -> Any:
            return outcome

        async def on_child_failed(self, failure: ChildFailure) -> None:
            try:
                await self.context.restart_child(failure.child)
            except ActorStartError as error:
                outcome.append(error)

    keeper = await actor_system.spawn(Keeper, name="keeper")
    flaky = actor_system.lookup("/keeper/flaky")
    assert flaky is not None
    await flaky.tell("x")
    await flaky.tell("queued while halted")
    await actor_system.wait_idle()
    [error] = await keeper.ask("outcome")
    assert isinstance(error.__cause__, OSError)
    assert flaky.is_alive
    assert flaky.statistics().depth == 1


async def test_a_failure_in_on_stop_during_a_restart_is_logged_and_the_restart_goes_on(
    actor_system: ActorSystem,
) -> None:
    class BadStop(Stateful):
        async def on_stop(self) -> None:
            raise RuntimeError("on_stop broke")

    class Restarter(Parent):
        async def on_start(self) -> None:
            await self.context.spawn(functools.partial(BadStop, self.journal), name="child")

    await actor_system.spawn(functools.partial(Restarter, [], "restart"), name="parent")
    child = actor_system.lookup("/parent/child")
    assert child is not None
    before, _ = await child.ask("count")
    with capture_logs() as logs:
        await child.tell("boom")
        after, _ = await child.ask("count")
    assert after == before + 1
    assert "actor.stop_failed" in [entry["event"] for entry in logs]


async def test_only_the_parent_may_direct_a_child(actor_system: ActorSystem) -> None:
    _parent, child, _ = await _tree(actor_system, "resume")

    class Stranger(Actor):
        def receive(self, message: Any) -> Any:
            self.context.resume_child(child)

    stranger = await actor_system.spawn(Stranger)
    await stranger.tell("meddle")
    await stranger.wait_stopped()
    [letter] = actor_system.dead_letters.recent
    assert isinstance(letter.error, ValueError)
    assert "is not a child of" in str(letter.error)
