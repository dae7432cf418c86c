"""Supervisors: start, strategies, restart types, intensity, escalation, directives, shutdown.

Mirrors OTP's supervisor_SUITE where it applies. Everything runs on virtual time.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from actors import ActorRef, ActorStartError, ActorSystem
from actors.testing import VirtualTimeLoop
from supervision import (
    Backoff,
    ChildSpec,
    Directive,
    OneForAll,
    OneForOne,
    Restart,
    RestartIntensityExceeded,
    RestForOne,
    Strategy,
    SupervisionError,
    Supervisor,
    WhichChildren,
)

from ._workers import Journal, Worker, worker

pytestmark = pytest.mark.actors(virtual_time=True)


def make_supervisor(
    journal: Journal,
    strategy: Strategy,
    names: tuple[str, ...] = ("a", "b", "c"),
    restart: dict[str, Restart] | None = None,
    **spec_options: Any,
) -> type[Supervisor]:
    restart = restart or {}

    class Sup(Supervisor):
        pass

    Sup.strategy = strategy
    Sup.children = [
        ChildSpec(
            name,
            worker(journal, name),
            restart=restart.get(name, Restart.PERMANENT),
            **spec_options,
        )
        for name in names
    ]
    return Sup


async def child(system: ActorSystem, path: str) -> ActorRef:
    ref = system.lookup(path)
    assert ref is not None, path
    return ref


async def state(ref: ActorRef) -> tuple[int, int]:
    result: tuple[int, int] = await ref.ask("state")
    return result


# ----------------------------------------------------------------------------- start


async def test_children_start_in_declaration_order_each_after_the_previous(
    actor_system: ActorSystem,
) -> None:
    journal = Journal()
    sup = await actor_system.spawn(make_supervisor(journal, OneForOne()), name="sup")
    assert journal.starts() == ["a", "b", "c"]
    infos = await sup.ask(WhichChildren())
    assert [(i.name, i.state, i.restart) for i in infos] == [
        ("a", "running", Restart.PERMANENT),
        ("b", "running", Restart.PERMANENT),
        ("c", "running", Restart.PERMANENT),
    ]
    assert [i.ref.path for i in infos] == ["/sup/a", "/sup/b", "/sup/c"]


async def test_a_child_failing_to_start_stops_the_started_ones_and_fails_the_spawn(
    actor_system: ActorSystem,
) -> None:
    journal = Journal()

    class Sup(Supervisor):
        children = (
            ChildSpec("a", worker(journal, "a")),
            ChildSpec("b", worker(journal, "b")),
            ChildSpec("gateway", worker(journal, "gateway", fail_start=lambda: True)),
            ChildSpec("d", worker(journal, "d")),
        )

    with pytest.raises(ActorStartError) as raised:
        await actor_system.spawn(Sup, name="payments")
    assert "/payments/gateway" in str(raised.value)
    causes = []
    error: BaseException | None = raised.value
    while error is not None:
        causes.append(error)
        error = error.__cause__
    assert isinstance(causes[-1], OSError)
    assert journal.starts() == ["a", "b"]
    assert journal.stops() == ["b", "a"]
    assert actor_system.actors == ()


@pytest.mark.parametrize(
    ("children", "match"),
    [
        (["not a spec"], "not a ChildSpec"),
        ("dup", "two children named 'x'"),
        ("one", "a one-child tuple needs a trailing comma"),
    ],
)
async def test_invalid_children_declarations_fail_the_start(
    actor_system: ActorSystem, children: Any, match: str
) -> None:
    journal = Journal()
    if children == "dup":
        children = [ChildSpec("x", worker(journal, "x")), ChildSpec("x", worker(journal, "x"))]
    if children == "one":
        children = ChildSpec("x", worker(journal, "x"))  # (ChildSpec(...)) without the comma

    class Sup(Supervisor):
        pass

    Sup.children = children
    with pytest.raises(ActorStartError) as raised:
        await actor_system.spawn(Sup)
    assert match in str(raised.value.__cause__)


# ----------------------------------------------------------------------------- strategies


async def test_one_for_one_restarts_only_the_failed_child(actor_system: ActorSystem) -> None:
    journal = Journal()
    await actor_system.spawn(make_supervisor(journal, OneForOne()), name="sup")
    a, b, c = [await child(actor_system, f"/sup/{n}") for n in "abc"]
    before = {n: await state(r) for n, r in zip("abc", (a, b, c), strict=True)}
    journal.clear()
    await b.tell("boom")
    after = {n: await state(r) for n, r in zip("abc", (a, b, c), strict=True)}
    assert journal.stops() == ["b"]
    assert journal.starts() == ["b"]
    assert after["a"] == before["a"]
    assert after["c"] == before["c"]
    assert after["b"][0] != before["b"][0]


async def test_one_for_all_stops_others_in_reverse_and_restarts_all_in_order(
    actor_system: ActorSystem,
) -> None:
    journal = Journal()
    await actor_system.spawn(make_supervisor(journal, OneForAll()), name="sup")
    b = await child(actor_system, "/sup/b")
    journal.clear()
    await b.tell("boom")
    await actor_system.wait_idle()
    assert journal.stops() == ["c", "a", "b"]
    assert journal.starts() == ["a", "b", "c"]


async def test_rest_for_one_restarts_the_failed_child_and_later_ones_only(
    actor_system: ActorSystem,
) -> None:
    journal = Journal()
    await actor_system.spawn(
        make_supervisor(journal, RestForOne(), names=("a", "b", "c", "d")), name="sup"
    )
    a = await child(actor_system, "/sup/a")
    b = await child(actor_system, "/sup/b")
    await a.tell(1)
    a_before = await state(a)
    journal.clear()
    await b.tell("boom")
    await actor_system.wait_idle()
    assert journal.stops() == ["d", "c", "b"]
    assert journal.starts() == ["b", "c", "d"]
    assert await state(a) == a_before  # same incarnation, same state


async def test_messages_queued_to_a_restarted_bystander_survive(actor_system: ActorSystem) -> None:
    journal = Journal()
    await actor_system.spawn(make_supervisor(journal, OneForAll()), name="sup")
    a, c = await child(actor_system, "/sup/a"), await child(actor_system, "/sup/c")
    await c.tell(("sleep", 1.0))
    for _ in range(3):
        await c.tell("work")
    await a.tell("boom")
    await actor_system.wait_idle()
    _incarnation, count = await state(c)
    assert count == 3


# ----------------------------------------------------------------------------- restart types


async def test_a_permanent_child_that_stops_normally_is_started_again(
    actor_system: ActorSystem,
) -> None:
    journal = Journal()
    sup = await actor_system.spawn(make_supervisor(journal, OneForOne(), names=("a",)), name="s")
    a = await child(actor_system, "/s/a")
    await a.tell("quit")
    await a.wait_stopped()
    await actor_system.wait_idle()
    [info] = await sup.ask(WhichChildren())
    assert info.state == "running"
    assert info.ref.is_alive
    assert journal.starts() == ["a", "a"]


async def test_a_transient_child_is_restarted_after_a_failure_but_not_a_normal_exit(
    actor_system: ActorSystem,
) -> None:
    journal = Journal()
    sup = await actor_system.spawn(
        make_supervisor(journal, OneForOne(), names=("t",), restart={"t": Restart.TRANSIENT}),
        name="s",
    )
    t = await child(actor_system, "/s/t")
    await t.tell("boom")
    await actor_system.wait_idle()
    assert t.is_alive
    assert journal.starts() == ["t", "t"]
    await t.tell("quit")
    await t.wait_stopped()
    await actor_system.wait_idle()
    [info] = await sup.ask(WhichChildren())
    assert (info.name, info.state, info.ref.is_alive) == ("t", "stopped", False)  # kept, as OTP
    assert journal.starts() == ["t", "t"]


async def test_a_temporary_child_is_never_restarted_not_even_as_a_bystander(
    actor_system: ActorSystem,
) -> None:
    journal = Journal()
    sup = await actor_system.spawn(
        make_supervisor(journal, OneForAll(), restart={"b": Restart.TEMPORARY}), name="s"
    )
    a = await child(actor_system, "/s/a")
    b = await child(actor_system, "/s/b")
    journal.clear()
    await a.tell("boom")
    await actor_system.wait_idle()
    assert not b.is_alive
    assert journal.starts() == ["a", "c"]
    assert [i.name for i in await sup.ask(WhichChildren())] == ["a", "c"]


async def test_a_failed_temporary_child_is_removed_and_nothing_else_happens(
    actor_system: ActorSystem,
) -> None:
    journal = Journal()
    sup = await actor_system.spawn(
        make_supervisor(journal, OneForAll(), restart={"b": Restart.TEMPORARY}), name="s"
    )
    b = await child(actor_system, "/s/b")
    journal.clear()
    await b.tell("boom")
    await b.wait_stopped()
    await actor_system.wait_idle()
    assert journal.starts() == []
    assert journal.stops() == ["b"]
    assert [i.name for i in await sup.ask(WhichChildren())] == ["a", "c"]


# ----------------------------------------------------------------------------- intensity


async def _fail_every(system: ActorSystem, ref: ActorRef, times: int, gap: float) -> None:
    for _ in range(times):
        await ref.tell("boom")
        await system.wait_idle()
        await asyncio.sleep(gap)


async def test_exactly_max_restarts_within_the_window_does_not_give_up(
    actor_system: ActorSystem,
) -> None:
    journal = Journal()
    sup = await actor_system.spawn(
        make_supervisor(journal, OneForOne(max_restarts=3, within=10.0), names=("a",)), name="s"
    )
    a = await child(actor_system, "/s/a")
    await _fail_every(actor_system, a, 3, 1.0)
    assert sup.is_alive
    assert a.is_alive


async def test_one_more_than_max_restarts_gives_up_stopping_children_in_reverse(
    actor_system: ActorSystem,
) -> None:
    journal = Journal()

    class Top(Supervisor):
        strategy = OneForOne(max_restarts=0)
        children = (
            ChildSpec(
                "sup",
                make_supervisor(journal, OneForOne(max_restarts=2, within=10.0)),
                restart=Restart.TEMPORARY,
            ),
        )

    await actor_system.spawn(Top, name="top")
    sup = await child(actor_system, "/top/sup")
    b = await child(actor_system, "/top/sup/b")
    await _fail_every(actor_system, b, 2, 1.0)
    journal.clear()
    await b.tell("boom")
    await sup.wait_stopped()
    assert journal.stops() == ["c", "b", "a"]


async def test_restarts_spaced_wider_than_the_window_never_give_up(
    actor_system: ActorSystem,
) -> None:
    journal = Journal()
    sup = await actor_system.spawn(
        make_supervisor(journal, OneForOne(max_restarts=1, within=5.0), names=("a",)), name="s"
    )
    a = await child(actor_system, "/s/a")
    await _fail_every(actor_system, a, 10, 5.1)
    assert sup.is_alive
    assert len(journal.starts()) == 11


async def test_a_group_restart_counts_once(actor_system: ActorSystem) -> None:
    journal = Journal()
    sup = await actor_system.spawn(
        make_supervisor(journal, OneForAll(max_restarts=2, within=60.0)), name="s"
    )
    a = await child(actor_system, "/s/a")
    await _fail_every(actor_system, a, 2, 0.0)
    assert sup.is_alive
    assert journal.starts().count("c") == 3


async def test_a_restart_that_fails_counts_too(actor_system: ActorSystem) -> None:
    journal = Journal()
    broken = {"now": False}

    class Sup(Supervisor):
        strategy = OneForOne(max_restarts=3, within=60.0)
        children = (ChildSpec("a", worker(journal, "a", fail_start=lambda: broken["now"])),)

    root_error: list[BaseException] = []

    class Top(Supervisor):
        strategy = OneForOne(max_restarts=0)
        children = (ChildSpec("sup", Sup, restart=Restart.TEMPORARY),)

        async def on_child_failed(self, failure: Any) -> None:
            root_error.append(failure.error)
            await super().on_child_failed(failure)

    await actor_system.spawn(Top, name="top")
    a = await child(actor_system, "/top/sup/a")
    broken["now"] = True
    await a.tell("boom")
    await actor_system.wait_idle()
    [error] = root_error
    assert isinstance(error, RestartIntensityExceeded)
    # 1 failure + 3 failed restarts = 4 restarts attempted, the 4th over the budget of 3.
    assert isinstance(error.__cause__, ActorStartError)


# ----------------------------------------------------------------------------- escalation


async def test_a_root_supervisor_giving_up_shuts_the_system_down_with_the_chain(
    virtual_time: VirtualTimeLoop,
) -> None:
    journal = Journal()

    class Inner(Supervisor):
        strategy = OneForOne(max_restarts=1, within=60.0)
        children = (ChildSpec("worker", worker(journal, "worker")),)

    class Root(Supervisor):
        strategy = OneForOne(max_restarts=1, within=60.0)
        children = (ChildSpec("inner", Inner),)

    system = ActorSystem("escalation")
    await system.spawn(Root, name="root")
    for _ in range(4):
        ref = system.lookup("/root/inner/worker")
        if ref is None:
            break
        await ref.tell("boom")
        await asyncio.sleep(0.1)
    with pytest.raises(RestartIntensityExceeded) as raised:
        await system.wait_closed()
    chain = raised.value.chain
    assert raised.value.path == "/root"
    assert isinstance(chain[1], RestartIntensityExceeded)
    assert chain[1].path == "/root/inner"
    assert isinstance(chain[-1], RuntimeError)
    assert system.is_closed
    assert system.actors == ()


async def test_escalate_fails_the_supervisor_with_the_childs_error_as_cause(
    actor_system: ActorSystem,
) -> None:
    journal = Journal()
    seen: list[BaseException] = []

    class Escalates(Supervisor):
        strategy = OneForOne(decider=lambda error: Directive.ESCALATE)
        children = (ChildSpec("a", worker(journal, "a")),)

    class Top(Supervisor):
        children = (ChildSpec("sup", Escalates),)

        async def on_child_failed(self, failure: Any) -> None:
            seen.append(failure.error)
            await super().on_child_failed(failure)

    await actor_system.spawn(Top, name="top")
    a = await child(actor_system, "/top/sup/a")
    await a.tell("boom")
    await actor_system.wait_idle()
    [error] = seen
    assert isinstance(error, SupervisionError)
    assert isinstance(error.__cause__, RuntimeError)
    # The parent restarted the escalating supervisor, which started its child afresh.
    assert journal.starts() == ["a", "a"]


async def test_resume_keeps_the_instance_and_its_state(actor_system: ActorSystem) -> None:
    journal = Journal()
    await actor_system.spawn(
        make_supervisor(journal, OneForOne(decider=lambda e: Directive.RESUME), names=("a",)),
        name="s",
    )
    a = await child(actor_system, "/s/a")
    await a.tell("work")
    incarnation, _ = await state(a)
    await a.tell("boom")
    await a.tell("work")
    assert await state(a) == (incarnation, 2)


async def test_stop_directive_stops_the_child_for_good(actor_system: ActorSystem) -> None:
    journal = Journal()
    sup = await actor_system.spawn(
        make_supervisor(journal, OneForAll(decider=lambda e: Directive.STOP)), name="s"
    )
    b = await child(actor_system, "/s/b")
    await b.tell("boom")
    await b.wait_stopped()
    await actor_system.wait_idle()
    assert [i.name for i in await sup.ask(WhichChildren())] == ["a", "c"]
    assert journal.starts() == ["a", "b", "c"]


# ----------------------------------------------------------------------------- backoff


async def test_backoff_spaces_restarts_and_messages_queue_meanwhile(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop
) -> None:
    journal = Journal()
    started_at: list[float] = []

    class TimedWorker(Worker):
        async def on_start(self) -> None:
            started_at.append(virtual_time.time())
            await super().on_start()

    class Timed(Supervisor):
        strategy = OneForOne(
            max_restarts=10, within=100.0, backoff=Backoff(min=1.0, max=4.0, jitter=0.0)
        )
        children = (ChildSpec("a", lambda: TimedWorker(journal, "a")),)

    sup = await actor_system.spawn(Timed, name="s")
    a = await child(actor_system, "/s/a")
    delays = []
    for _ in range(4):
        await a.tell("boom")
        await actor_system.wait_idle()
        failed_at = virtual_time.time()
        [info] = await sup.ask(WhichChildren())
        assert info.state == "backoff"
        await a.tell("queued while in backoff")
        _incarnation, count = await a.ask("state", timeout=60.0)
        assert count == 1  # the queued message reached the new incarnation
        delays.append(started_at[-1] - failed_at)
    # The n-th consecutive restart waits min * factor**n, capped at max.
    assert delays == [1.0, 2.0, 4.0, 4.0]


async def test_a_supervisor_in_backoff_stops_promptly_and_starts_nothing_after(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop
) -> None:
    journal = Journal()

    class Slow(Supervisor):
        strategy = OneForOne(backoff=Backoff(min=60.0, max=60.0, jitter=0.0))
        children = (ChildSpec("a", worker(journal, "a")),)

    sup = await actor_system.spawn(Slow, name="s")
    a = await child(actor_system, "/s/a")
    await a.tell("boom")
    await actor_system.wait_idle()
    began = virtual_time.time()
    await sup.stop()
    assert virtual_time.time() - began < 1.0
    await asyncio.sleep(120.0)
    assert journal.starts() == ["a"]
    assert not a.is_alive


async def test_a_supervisor_in_a_failing_restart_loop_stops_promptly(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop
) -> None:
    journal = Journal()
    attempts: list[int] = []

    def broken() -> bool:
        attempts.append(1)
        return len(attempts) > 1

    class Looping(Supervisor):
        strategy = OneForOne(max_restarts=1_000_000, within=1.0)
        children = (ChildSpec("a", worker(journal, "a", fail_start=broken)),)

    sup = await actor_system.spawn(Looping, name="s")
    a = await child(actor_system, "/s/a")
    await a.tell("boom")
    for _ in range(5):
        await asyncio.sleep(0)
    await sup.stop()
    count = len(attempts)
    assert count < 50
    await asyncio.sleep(10.0)
    assert len(attempts) == count


# ----------------------------------------------------------------------------- shutdown


async def test_children_stop_in_reverse_start_order_on_shutdown(
    actor_system: ActorSystem,
) -> None:
    journal = Journal()
    sup = await actor_system.spawn(make_supervisor(journal, OneForOne()), name="s")
    await sup.stop(timeout=None)
    assert journal.stops() == ["c", "b", "a"]


async def test_a_child_that_overruns_its_shutdown_is_abandoned_without_blocking_siblings(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop
) -> None:
    journal = Journal()
    sup_class = make_supervisor(journal, OneForOne(), shutdown=2.0)
    sup = await actor_system.spawn(sup_class, name="s")
    c = await child(actor_system, "/s/c")
    await c.tell(("sleep", 1000.0))
    began = virtual_time.time()
    await sup.stop(timeout=None)
    assert virtual_time.time() - began == pytest.approx(2.0)
    assert journal.stops() == ["b", "a"]  # c was cancelled, not stopped gracefully
    assert [d.reason for d in actor_system.dead_letters.recent] == ["timeout"]


async def test_a_supervisor_child_defaults_to_an_unlimited_shutdown() -> None:
    journal = Journal()
    nested = make_supervisor(journal, OneForOne())
    assert ChildSpec("n", nested).shutdown_timeout is None
    assert ChildSpec("w", worker(journal, "w")).shutdown_timeout == 5.0


async def test_an_on_stop_failure_during_a_restart_is_reported_and_the_restart_goes_on(
    actor_system: ActorSystem,
) -> None:
    from structlog.testing import capture_logs

    journal = Journal()

    class BadStop(Worker):
        async def on_stop(self) -> None:
            raise RuntimeError("on_stop failed")

    class Sup(Supervisor):
        children = (ChildSpec("a", lambda: BadStop(journal, "a")),)

    await actor_system.spawn(Sup, name="s")
    a = await child(actor_system, "/s/a")
    before, _ = await state(a)
    with capture_logs() as logs:
        await a.tell("boom")
        after, _ = await state(a)
    assert after != before
    assert "actor.stop_failed" in [entry["event"] for entry in logs]


async def test_a_child_that_ignores_cancellation_is_abandoned_and_siblings_stop_on_time(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop
) -> None:
    from structlog.testing import capture_logs

    from actors import Actor

    journal = Journal()
    zombie_done = asyncio.Event()

    class Stubborn(Actor):
        async def receive(self, message: Any) -> Any:
            try:
                await asyncio.sleep(1000)
            except asyncio.CancelledError:
                # Swallows the cancellation and carries on for a while (misbehaving code).
                await asyncio.sleep(30)
                zombie_done.set()

    class Sup(Supervisor):
        children = (
            ChildSpec("a", worker(journal, "a")),
            ChildSpec("stubborn", Stubborn, shutdown=2.0),
            ChildSpec("c", worker(journal, "c")),
        )

    sup = await actor_system.spawn(Sup, name="s")
    stubborn = await child(actor_system, "/s/stubborn")
    await stubborn.tell("work")
    await asyncio.sleep(0)
    began = virtual_time.time()
    with capture_logs() as logs:
        await sup.stop(timeout=None)
    assert virtual_time.time() - began == pytest.approx(2.0)  # not 32: abandoned on time
    assert journal.stops() == ["c", "a"]
    assert not stubborn.is_alive
    assert "actor.stop_timeout" in [entry["event"] for entry in logs]
    await zombie_done.wait()  # the abandoned handler ends on its own; no task is left
