"""apply_tree on a running tree: what changes in place, what restarts, what is left alone,
what an invalid spec or a failing step leaves, and how a reload is reported."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from structlog.testing import capture_logs

from actors import ActorSystem, MailboxFull, Overflow, Pool
from supervision import (
    ConfigError,
    ReloadError,
    RestartIntensityExceeded,
    SupervisionError,
    Supervisor,
    SupervisorSpec,
    TreeSpec,
    WhichChildren,
    WorkerSpec,
    apply_tree,
    create_system,
    plan_reload,
    spawn_tree,
)
from supervision.config._running import running_tree
from supervision.config._tree import parse_tree

from . import _config_actors
from ._config_actors import EVENTS

A = "tests.supervision._config_actors"


def tree(body: str, settings: str = "") -> TreeSpec:
    return parse_tree(f'[tree]\nname = "shop"\n{settings}\n{body}', "toml")


def worker(name: str, extra: str = "", parent: str = "tree.children", actor: str = "Echo") -> str:
    return f'[[{parent}]]\nname = "{name}"\nactor = "{A}:{actor}"\n{extra}\n'


BEFORE = tree(
    worker("a")
    + worker("b", "mailbox = { capacity = 5 }")
    + worker("p", "pool = { size = 2 }")
    + '[[tree.children]]\nname = "sub"\n'
    + worker("x", parent="tree.children.children")
)
AFTER = tree(
    worker("c")
    + worker("b", 'args = { greeting = "yo" }\nmailbox = { capacity = 50, overflow = "reject" }')
    + worker("p", "pool = { size = 4 }")
    + '[[tree.children]]\nname = "sub"\nstrategy = "one_for_all"\n'
    + worker("y", parent="tree.children.children")
    + worker("x", 'subscribe = ["news.>"]', parent="tree.children.children"),
    settings="max_restarts = 9",
)


def sample(system: ActorSystem, outcome: str) -> float | None:
    return system.registry.get_sample_value("supervision_tree_reloads_total", {"outcome": outcome})


async def test_a_reload_changes_in_place_restarts_what_needs_it_and_leaves_the_rest() -> None:
    async with create_system(BEFORE) as system:
        root = await spawn_tree(system, BEFORE)
        b, x, p = (system.lookup(f"/shop/{name}") for name in ("b", "sub/x", "p"))
        assert b is not None
        assert x is not None
        assert p is not None
        routee = system.lookup("/shop/p/routee-0")
        assert routee is not None
        x_cell, routee_cell = x._cell, routee._cell
        for number in range(5):
            b.tell_nowait(number)  # queued while the reload runs
        with capture_logs() as logs:
            plan = await apply_tree(system, AFTER)
        assert plan.summary() == {"settings": 1, "remove": 1, "add": 2, "restart": 1, "update": 3}
        children = await root.ask(WhichChildren())
        assert [child.name for child in children] == ["c", "b", "p", "sub"]
        assert [c.state for c in children] == ["running"] * 4
        # b restarted from its new arguments: same ref, nothing lost, new mailbox settings.
        assert system.lookup("/shop/b") is b
        assert b._cell.incarnation == 2
        assert await b.ask("there") == "yo there"
        stats = b.statistics()
        assert stats.capacity == 50
        assert b._cell.mailbox.overflow is Overflow.REJECT
        assert stats.accepted == stats.processed + stats.dead_lettered
        assert stats.dead_lettered == 0
        assert stats.processed == 6
        # Unchanged or changed in place: never restarted.
        assert system.lookup("/shop/sub/x") is x
        assert x._cell is x_cell
        assert x_cell.incarnation == 1
        assert routee_cell.incarnation == 1
        pool = p._cell.instance
        assert isinstance(pool, Pool)
        assert [r.name for r in pool.routees] == [f"routee-{n}" for n in range(4)]
        assert pool.routees[0]._cell is routee_cell
        sub = system.lookup("/shop/sub")
        assert sub is not None
        assert [c.name for c in await sub.ask(WhichChildren())] == ["y", "x"]
        assert sub._cell.instance.strategy.name == "one_for_all"  # type: ignore[union-attr]
        assert system.lookup("/shop/a") is None
        # Subscriptions follow the file: x now receives news.
        EVENTS.clear()
        await system.publish("news.today", "headline")
        await x.ask("sync")
        assert EVENTS == [("/shop/sub/x", "headline")]
        # Reflected in health, the log and the metrics; the running spec is the new one.
        health = {s.path: s for s in system.health().supervisors}
        assert health["/shop"].max_restarts == 9
        assert health["/shop/p"].status == "running"
        reloaded = [entry for entry in logs if entry["event"] == "tree.reloaded"]
        assert reloaded == [
            {
                "event": "tree.reloaded",
                "log_level": "info",
                "root": "/shop",
                "changes": 8,
                "plan": plan.summary(),
                "ignored": [],
            }
        ]
        assert sample(system, "applied") == 1.0
        assert running_tree(system) == AFTER
        assert plan_reload(system, AFTER).is_empty


async def test_a_smaller_pool_stops_its_last_routees_after_their_queued_messages() -> None:
    before = tree(worker("p", 'pool = { size = 3, routing = "broadcast" }', actor="Counter"))
    after = tree(worker("p", 'pool = { size = 1, routing = "broadcast" }', actor="Counter"))
    async with create_system(before) as system:
        await spawn_tree(system, before)
        p = system.lookup("/shop/p")
        assert p is not None
        leaving = [system.lookup(f"/shop/p/routee-{n}") for n in (1, 2)]
        for _ in range(10):
            p.tell_nowait("tick")
        await apply_tree(system, after)
        for ref in leaving:
            assert ref is not None
            assert not ref.is_alive
            stats = ref.statistics()
            assert stats.processed == stats.accepted == 10
            assert stats.dead_lettered == 0
        # An ask to a BROADCAST pool raises AmbiguousAsk: gather the one routee's answer.
        assert (await system.scatter(p, "count")).values == (10,)
        pool = p._cell.instance
        assert isinstance(pool, Pool)
        assert len(pool.routees) == 1


async def test_removed_children_stop_in_reverse_order_and_added_ones_start_in_place() -> None:
    before = tree(
        worker("first", actor="Recorder")
        + worker("second", actor="Recorder")
        + worker("third", actor="Recorder")
    )
    after = tree(worker("new", actor="Recorder") + worker("first", actor="Recorder"))
    async with create_system(before) as system:
        root = await spawn_tree(system, before)
        EVENTS.clear()
        plan = await apply_tree(system, after)
        assert [(change.action, change.path) for change in plan.changes] == [
            ("remove", "/shop/third"),
            ("remove", "/shop/second"),  # looks renamed to /shop/new: said so, still removed
            ("add", "/shop/new"),
        ]
        assert EVENTS == [("stopped", "/shop/third"), ("stopped", "/shop/second")]
        assert [c.name for c in await root.ask(WhichChildren())] == ["new", "first"]
        assert list(root._cell.children) == ["new", "first"]  # it stops before "new"


async def test_an_invalid_spec_or_a_renamed_root_changes_nothing() -> None:
    async with create_system(BEFORE) as system:
        await spawn_tree(system, BEFORE)
        actors = system.actors
        # A spec built by hand (load_tree would refuse the file): checked before any change.
        broken = TreeSpec(
            tree=SupervisorSpec(name="shop", children=(WorkerSpec(name="a", actor=f"{A}:Gone"),))
        )
        with pytest.raises(ConfigError) as raised:
            await apply_tree(system, broken)
        assert raised.value.errors[0].location == "$.tree.children[0].actor"
        renamed = parse_tree(f'[tree]\nname = "store"\n{worker("a")}', "toml")
        with pytest.raises(ConfigError) as raised:
            await apply_tree(system, renamed)
        assert raised.value.errors[0].location == "$.tree.name"
        assert system.actors == actors
        assert running_tree(system) == BEFORE
        assert sample(system, "refused") == 2.0


async def test_a_reload_that_fails_midway_leaves_what_it_applied_and_a_later_one_completes() -> (
    None
):
    before = tree(worker("a"))
    failing = tree(
        worker("a") + worker("bad", "args = { ok = false }", actor="StartsWhen") + worker("c"),
        settings="max_restarts = 7",
    )
    async with create_system(before) as system:
        root = await spawn_tree(system, before)
        with pytest.raises(ReloadError) as raised:
            await apply_tree(system, failing)
        error = raised.value
        assert error.step.line() == "add      /shop/bad"
        assert [change.line() for change in error.applied] == ["settings /shop (max_restarts)"]
        assert [change.path for change in error.not_applied] == ["/shop/bad", "/shop/c"]
        assert "reload step failed: add      /shop/bad" in str(error)
        assert isinstance(error.__cause__, Exception)
        assert [c.name for c in await root.ask(WhichChildren())] == ["a"]
        assert sample(system, "failed") == 1.0
        # The running spec records what was applied; a corrected file completes it.
        running = running_tree(system)
        assert running is not None
        assert running.tree.max_restarts == 7
        fixed = tree(
            worker("a") + worker("bad", "args = { ok = true }", actor="StartsWhen") + worker("c"),
            settings="max_restarts = 7",
        )
        plan = await apply_tree(system, fixed)
        assert [change.line() for change in plan.changes] == [
            "add      /shop/bad",
            "add      /shop/c",
        ]
        assert [c.name for c in await root.ask(WhichChildren())] == ["a", "bad", "c"]


async def test_a_restart_that_fails_is_handled_by_the_strategy_as_any_failed_restart() -> None:
    before = tree(worker("job", actor="StartsWhen"), settings="max_restarts = 0")
    after = tree(
        worker("job", "args = { ok = false }", actor="StartsWhen"), settings="max_restarts = 0"
    )
    system = create_system(before)
    await spawn_tree(system, before)
    with pytest.raises(ReloadError) as raised:
        await apply_tree(system, after)
    assert raised.value.step.line() == "restart  /shop/job (args)"
    with pytest.raises(RestartIntensityExceeded):  # the root's budget of 0: it gives up
        await system.wait_closed()
    await system.shutdown()


async def test_in_place_changes_of_restart_type_and_shutdown_keep_the_instance() -> None:
    before = tree(worker("job"))
    after = tree(worker("job", 'restart = "transient"\nshutdown = 0.5'))
    async with create_system(before) as system:
        root = await spawn_tree(system, before)
        job = system.lookup("/shop/job")
        assert job is not None
        plan = await apply_tree(system, after)
        assert [change.line() for change in plan.changes] == [
            "update   /shop/job (restart, shutdown)"
        ]
        assert job._cell.incarnation == 1
        assert job._cell.shutdown_timeout == 0.5
        (info,) = await root.ask(WhichChildren())
        assert info.restart.value == "transient"


async def test_without_a_tree_there_is_nothing_to_reload() -> None:
    async with ActorSystem("bare") as system:
        spec = TreeSpec(tree=BEFORE.tree)
        with pytest.raises(SupervisionError, match="runs no tree"):
            plan_reload(system, spec)


def test_the_actors_named_here_exist() -> None:
    assert issubclass(_config_actors.StartsWhen, object)
    assert WorkerSpec(name="x", actor=f"{A}:Echo").name == "x"
    assert issubclass(Supervisor, object)
    assert MailboxFull
    _: Any = None


async def _until(condition: Callable[[], bool]) -> None:
    """Let the loop run until ``condition`` holds (bounded: a few thousand iterations)."""
    for _ in range(10_000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("the condition never held")


async def test_a_removed_child_finishes_the_message_in_hand_and_dead_letters_its_queue() -> None:
    before = tree(worker("keep") + worker("gone", actor="Gated"))
    after = tree(worker("keep"))
    _config_actors.GATE[:] = [asyncio.Event()]
    async with create_system(before) as system:
        await spawn_tree(system, before)
        gone = system.lookup("/shop/gone")
        assert gone is not None
        gone.tell_nowait("in hand")
        await _until(lambda: gone.statistics().depth == 0)  # held by the gate
        for number in range(3):
            gone.tell_nowait(number)
        reload = asyncio.ensure_future(apply_tree(system, after))
        await _until(lambda: not gone.is_alive)  # the reload began to stop it
        _config_actors.GATE[0].set()
        await reload
        statistics = gone.statistics()
        assert statistics.processed == 1  # the message in hand
        letters = [letter for letter in system.dead_letters.recent if letter.recipient == gone]
        assert [(letter.message, letter.reason) for letter in letters] == [
            (0, "stopped"),
            (1, "stopped"),
            (2, "stopped"),
        ]
        assert statistics.accepted == statistics.processed + statistics.dead_lettered
