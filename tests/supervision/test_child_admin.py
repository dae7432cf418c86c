"""OTP's child administration and restart-type rules: terminate_child, restart_child,
delete_child, stop_child and count_children on static and dynamic supervisors; kill() as an
abnormal exit; a TRANSIENT child's kept spec. Mirrors supervisor.erl (terminate_child,
restart_child, delete_child, count_children, del_child, restart_multiple_children)."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import pytest
from structlog.testing import capture_logs

from actors import ActorRef, ActorStartError, ActorSystem
from actors.testing import TestProbe
from supervision import (
    Backoff,
    ChildCounts,
    ChildSpec,
    DynamicSupervisor,
    OneForAll,
    OneForOne,
    Restart,
    RestForOne,
    Strategy,
    SupervisionError,
    Supervisor,
    WhichChildren,
    count_children,
    delete_child,
    restart_child,
    start_child,
    stop_child,
    terminate_child,
)

from ._workers import Journal, Worker, worker

pytestmark = pytest.mark.actors(virtual_time=True)

P, T, X = Restart.PERMANENT, Restart.TRANSIENT, Restart.TEMPORARY


def tree(
    journal: Journal,
    strategy: Strategy | None = None,
    restarts: dict[str, Restart] | None = None,
    fail_start: dict[str, bool] | None = None,
) -> type[Supervisor]:
    """A supervisor of the workers a, b, c (restart types from ``restarts``)."""
    restarts = restarts or {}
    failing = fail_start if fail_start is not None else {}

    class Sup(Supervisor):
        pass

    Sup.strategy = strategy or OneForOne()
    Sup.children = [
        ChildSpec(
            name,
            worker(journal, name, fail_start=lambda name=name: failing.get(name, False)),
            restart=restarts.get(name, P),
        )
        for name in ("a", "b", "c")
    ]
    return Sup


async def states(sup: ActorRef) -> dict[str, str]:
    return {info.name: info.state for info in await sup.ask(WhichChildren())}


async def lookup(system: ActorSystem, path: str) -> ActorRef:
    ref = system.lookup(path)
    assert ref is not None, path
    return ref


# ----------------------------------------------------------------------------- point 7


async def test_terminate_child_stops_a_child_for_good_and_keeps_its_spec(
    actor_system: ActorSystem,
) -> None:
    journal = Journal()
    sup = await actor_system.spawn(tree(journal), name="sup")
    b = await lookup(actor_system, "/sup/b")
    journal.clear()
    await terminate_child(sup, "b")
    assert not b.is_alive
    assert journal.stops() == ["b"]  # a graceful stop: on_stop ran
    assert await states(sup) == {"a": "running", "b": "stopped", "c": "running"}
    [info] = [info for info in await sup.ask(WhichChildren()) if info.name == "b"]
    assert info.ref == b
    await actor_system.wait_idle()
    assert actor_system.lookup("/sup/b") is None  # not restarted, although PERMANENT
    await terminate_child(sup, b)  # a stopped child: nothing to do
    assert await states(sup) == {"a": "running", "b": "stopped", "c": "running"}


async def test_restart_child_starts_a_terminated_child_again_without_counting_a_restart(
    actor_system: ActorSystem,
) -> None:
    journal = Journal()
    sup = await actor_system.spawn(tree(journal, OneForOne(max_restarts=0)), name="sup")
    old = await lookup(actor_system, "/sup/b")
    await terminate_child(sup, "b")
    journal.clear()
    new = await restart_child(sup, "b")
    assert new.is_alive
    assert new != old
    assert new.path == "/sup/b"
    assert journal.starts() == ["b"]
    assert await states(sup) == {"a": "running", "b": "running", "c": "running"}
    assert [info.name for info in await sup.ask(WhichChildren())] == ["a", "b", "c"]
    assert sup.is_alive  # max_restarts=0 and still running: restart_child is no restart
    assert actor_system.statistics().restarts == 0


async def test_restart_child_refuses_a_running_child_and_keeps_a_failed_start_stopped(
    actor_system: ActorSystem,
) -> None:
    journal = Journal()
    failing = {"b": False}
    sup = await actor_system.spawn(tree(journal, fail_start=failing), name="sup")
    with pytest.raises(SupervisionError, match="'b' of /sup is running"):
        await restart_child(sup, "b")
    await terminate_child(sup, "b")
    failing["b"] = True
    with pytest.raises(ActorStartError) as raised:
        await restart_child(sup, "b")
    assert isinstance(raised.value.__cause__, OSError)
    assert await states(sup) == {"a": "running", "b": "stopped", "c": "running"}
    failing["b"] = False
    assert (await restart_child(sup, "b")).is_alive


async def test_delete_child_forgets_a_stopped_child_and_refuses_a_running_one(
    actor_system: ActorSystem,
) -> None:
    sup = await actor_system.spawn(tree(Journal()), name="sup")
    with pytest.raises(SupervisionError, match="running; terminate_child it first"):
        await delete_child(sup, "b")
    await terminate_child(sup, "b")
    await delete_child(sup, "b")
    assert await states(sup) == {"a": "running", "c": "running"}
    with pytest.raises(LookupError):
        await restart_child(sup, "b")


async def test_stop_child_on_a_static_supervisor_stops_and_forgets_the_child(
    actor_system: ActorSystem,
) -> None:
    journal = Journal()
    sup = await actor_system.spawn(tree(journal), name="sup")
    b = await lookup(actor_system, "/sup/b")
    await stop_child(sup, b)
    assert not b.is_alive
    assert await states(sup) == {"a": "running", "c": "running"}
    await actor_system.wait_idle()
    assert actor_system.lookup("/sup/b") is None


@pytest.mark.parametrize("call", ["stop", "terminate", "restart", "delete"])
async def test_every_administration_call_raises_lookup_error_for_an_unknown_name(
    actor_system: ActorSystem, call: str
) -> None:
    sup = await actor_system.spawn(tree(Journal()), name="sup")
    helper: Any = {
        "stop": stop_child,
        "terminate": terminate_child,
        "restart": restart_child,
        "delete": delete_child,
    }[call]
    with pytest.raises(LookupError, match="/sup has no child 'nope'"):
        await helper(sup, "nope")
    assert await states(sup) == {"a": "running", "b": "running", "c": "running"}


async def test_terminate_child_forgets_a_temporary_child(actor_system: ActorSystem) -> None:
    sup = await actor_system.spawn(tree(Journal(), restarts={"b": X}), name="sup")
    await terminate_child(sup, "b")
    assert await states(sup) == {"a": "running", "c": "running"}


async def test_one_for_all_restart_starts_a_terminated_sibling_again(
    actor_system: ActorSystem,
) -> None:
    journal = Journal()
    sup = await actor_system.spawn(tree(journal, OneForAll()), name="sup")
    await terminate_child(sup, "b")
    journal.clear()
    await (await lookup(actor_system, "/sup/a")).tell("boom")
    await actor_system.wait_idle()
    assert journal.starts() == ["a", "b", "c"]
    assert await states(sup) == {"a": "running", "b": "running", "c": "running"}


async def test_rest_for_one_restart_starts_later_terminated_siblings_only(
    actor_system: ActorSystem,
) -> None:
    journal = Journal()
    sup = await actor_system.spawn(tree(journal, RestForOne()), name="sup")
    await terminate_child(sup, "a")
    await terminate_child(sup, "c")
    journal.clear()
    await (await lookup(actor_system, "/sup/b")).tell("boom")
    await actor_system.wait_idle()
    assert journal.starts() == ["b", "c"]
    assert await states(sup) == {"a": "stopped", "b": "running", "c": "running"}


async def test_terminate_child_during_a_backoff_cancels_its_pending_restart(
    actor_system: ActorSystem,
) -> None:
    journal = Journal()
    strategy = OneForOne(backoff=Backoff(min=1.0, max=1.0, jitter=0.0))
    sup = await actor_system.spawn(tree(journal, strategy), name="sup")
    await (await lookup(actor_system, "/sup/b")).tell("boom")
    await actor_system.wait_idle()
    assert (await states(sup))["b"] == "backoff"
    await terminate_child(sup, "b")
    journal.clear()
    await actor_system.wait_idle()  # past the backoff delay, on virtual time
    assert journal.starts() == []
    assert await states(sup) == {"a": "running", "b": "stopped", "c": "running"}


# ----------------------------------------------------------------------------- point 8


@pytest.mark.parametrize("restart", [P, T])
async def test_a_killed_permanent_or_transient_child_is_restarted(
    actor_system: ActorSystem, restart: Restart
) -> None:
    journal = Journal()
    sup = await actor_system.spawn(tree(journal, restarts={"b": restart}), name="sup")
    b = await lookup(actor_system, "/sup/b")
    journal.clear()
    with capture_logs() as logs:
        b.kill()
        await actor_system.wait_idle()
    assert journal.starts() == ["b"]
    assert await states(sup) == {"a": "running", "b": "running", "c": "running"}
    [restarting] = [line for line in logs if line["event"] == "supervisor.restarting"]
    assert restarting["reason"] == "killed"


async def test_a_killed_temporary_child_is_forgotten(actor_system: ActorSystem) -> None:
    journal = Journal()
    sup = await actor_system.spawn(tree(journal, restarts={"b": X}), name="sup")
    journal.clear()
    (await lookup(actor_system, "/sup/b")).kill()
    await actor_system.wait_idle()
    assert journal.starts() == []
    assert await states(sup) == {"a": "running", "c": "running"}


async def test_a_transient_child_that_stops_normally_keeps_its_spec_not_running(
    actor_system: ActorSystem,
) -> None:
    journal = Journal()
    sup = await actor_system.spawn(tree(journal, OneForAll(), {"b": T}), name="sup")
    b = await lookup(actor_system, "/sup/b")
    await b.tell("quit")
    await b.wait_stopped()
    await actor_system.wait_idle()
    assert await states(sup) == {"a": "running", "b": "stopped", "c": "running"}
    assert await count_children(sup) == ChildCounts(specs=3, active=2, supervisors=0, workers=3)
    journal.clear()
    await (await lookup(actor_system, "/sup/c")).tell("boom")
    await actor_system.wait_idle()
    assert journal.starts() == ["a", "b", "c"]  # OTP: the group restart starts it again
    assert await states(sup) == {"a": "running", "b": "running", "c": "running"}


# ----------------------------------------------------------------------------- point 9


class Inner(Supervisor):
    children = (ChildSpec("w", worker(Journal(), "w")),)


async def test_count_children_distinguishes_supervisors_from_workers(
    actor_system: ActorSystem,
) -> None:
    journal = Journal()

    class Sup(Supervisor):
        children = (
            ChildSpec("a", worker(journal, "a")),
            ChildSpec("inner", Inner),
            ChildSpec("b", worker(journal, "b"), restart=T),
        )

    sup = await actor_system.spawn(Sup, name="sup")
    assert await count_children(sup) == ChildCounts(specs=3, active=3, supervisors=1, workers=2)
    await terminate_child(sup, "inner")
    assert await count_children(sup) == ChildCounts(specs=3, active=2, supervisors=1, workers=2)
    await stop_child(sup, "a")
    assert await count_children(sup) == ChildCounts(specs=2, active=1, supervisors=1, workers=1)


async def test_count_children_of_a_dynamic_supervisor_counts_each_child_as_a_spec(
    actor_system: ActorSystem,
) -> None:
    class Pool(DynamicSupervisor):
        child_spec = ChildSpec("worker", Worker)

    class Pools(DynamicSupervisor):
        child_spec = ChildSpec("pool", Pool)

    journal = Journal()
    pool = await actor_system.spawn(Pool, name="pool")
    assert await count_children(pool) == ChildCounts(specs=0, active=0, supervisors=0, workers=0)
    await start_child(pool, journal, "x")
    await start_child(pool, journal, "y")
    assert await count_children(pool) == ChildCounts(specs=2, active=2, supervisors=0, workers=2)
    pools = await actor_system.spawn(Pools, name="pools")
    await start_child(pools)
    assert await count_children(pools) == ChildCounts(specs=1, active=1, supervisors=1, workers=0)


async def test_a_dynamic_supervisor_keeps_no_stopped_children(actor_system: ActorSystem) -> None:
    class Pool(DynamicSupervisor):
        child_spec = ChildSpec("worker", Worker, restart=T)

    journal = Journal()
    pool = await actor_system.spawn(Pool, name="pool")
    first = await start_child(pool, journal, "x")
    second = await start_child(pool, journal, "y")
    await terminate_child(pool, first)
    assert [info.name for info in await pool.ask(WhichChildren())] == ["worker-2"]
    with pytest.raises(SupervisionError, match="keeps no stopped children"):
        await restart_child(pool, "worker-2")
    with pytest.raises(SupervisionError, match="keeps no stopped children"):
        await delete_child(pool, "worker-2")
    await second.tell("quit")
    await second.wait_stopped()
    await actor_system.wait_idle()
    assert await pool.ask(WhichChildren()) == ()  # a TRANSIENT normal exit: forgotten


async def test_a_transient_child_whose_own_stop_overran_is_restarted(
    actor_system: ActorSystem,
) -> None:
    class Slow(Worker):
        async def on_stop(self) -> None:
            await asyncio.sleep(60.0)  # past its shutdown time of 1 s: cancelled

    journal = Journal()

    class Sup(Supervisor):
        children = (ChildSpec("s", functools.partial(Slow, journal, "s"), restart=T, shutdown=1.0),)

    sup = await actor_system.spawn(Sup, name="sup")
    s = await lookup(actor_system, "/sup/s")
    watcher = await TestProbe.create(actor_system)
    await s.tell("quit")
    assert (await watcher.expect_terminated(s, timeout=5.0)).reason == "timeout"
    await actor_system.wait_idle()
    assert journal.starts() == ["s", "s"]
    assert await states(sup) == {"s": "running"}


async def test_the_admin_example_stops_restarts_and_deletes_children(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from examples.supervision import admin

    assert await admin.main() == ["prices", "news"]
    out = capsys.readouterr().out
    assert "news stopped" in out
    assert "ChildCounts(specs=3, active=2, supervisors=0, workers=3)" in out
    assert "news: hello" in out
