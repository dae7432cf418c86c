"""Valid configuration files: defaults, formats, and the live tree matching the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest
import yaml

from actors import ActorRef, ActorStartError, ActorSystem, Overflow, Pool
from supervision import (
    ConfigError,
    DynamicSupervisor,
    DynamicSupervisorSpec,
    MailboxSpec,
    OneForAll,
    OneForOne,
    PoolSpec,
    RestForOne,
    SupervisorSpec,
    TreeSpec,
    WhichChildren,
    WorkerSpec,
    create_system,
    load_tree,
    spawn_tree,
    start_child,
    tree_warnings,
)

from . import _config_actors

ROOT = Path(__file__).resolve().parents[2]
SHOP = ROOT / "examples" / "shop"
A = "tests.supervision._config_actors"

TREE = f"""
[system]
name = "app"
dead_letter_buffer = 10

[tree]
strategy = "one_for_all"
max_restarts = 4
within = 2.0

[[tree.children]]
name = "greeter"
actor = "{A}:Echo"
args = {{ greeting = "hi", times = 2 }}
subscribe = ["news.>"]
mailbox = {{ capacity = 7, overflow = "drop_oldest" }}

[[tree.children]]
name = "backend"
strategy = "rest_for_one"
backoff = {{ min = 0.1, max = 1.0, jitter = 0.0 }}

[[tree.children.children]]
name = "db"
actor = "{A}:NeedsUrl"
args = {{ url = "sqlite://", tags = ["a", "b"] }}

[[tree.children.children]]
name = "api"
actor = "{A}:Echo"
restart = "transient"
shutdown = 1.5

[[tree.children]]
name = "workers"
actor = "{A}:Echo"
pool = {{ size = 3, routing = "consistent_hash", key = "{A}:first_letter" }}
subscribe = ["jobs.*"]

[[tree.children]]
name = "sessions"
template = {{ name = "session", actor = "{A}:NeedsUrl", restart = "temporary" }}
max_children = 2

[[tree.children]]
name = "legacy"
actor = "{A}:CodeSupervisor"
"""


def write(tmp_path: Path, text: str, name: str = "tree.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def lookup(system: ActorSystem, path: str) -> ActorRef:
    ref = system.lookup(path)
    assert ref is not None, path
    return ref


def instance(ref: ActorRef) -> Any:
    return ref._cell.instance  # the live instance, to compare the strategy with the file


# ----------------------------------------------------------------------------- loading


def test_defaults_fill_what_the_file_leaves_out(tmp_path: Path) -> None:
    spec = load_tree(write(tmp_path, f'[tree]\n[[tree.children]]\nname = "a"\nactor = "{A}:Echo"'))
    assert spec.system.name == "actors"
    assert spec.system.shutdown == 10.0
    assert spec.tree == SupervisorSpec(
        name="actors",
        children=(WorkerSpec(name="a", actor=f"{A}:Echo"),),
    )
    assert (spec.tree.strategy, spec.tree.max_restarts, spec.tree.within) == (
        "one_for_one",
        3,
        5.0,
    )
    worker = spec.tree.children[0]
    assert isinstance(worker, WorkerSpec)
    assert (worker.restart, worker.shutdown, worker.mailbox) == ("permanent", None, MailboxSpec())


def test_the_kind_of_each_child_is_inferred_from_its_keys(tmp_path: Path) -> None:
    spec = load_tree(write(tmp_path, TREE))
    kinds = [type(child) for child in spec.tree.children]
    assert kinds == [WorkerSpec, SupervisorSpec, PoolSpec, DynamicSupervisorSpec, WorkerSpec]
    assert spec.tree.name == "app"  # the root is named after the system unless it says


def test_the_same_tree_in_toml_yaml_and_json_loads_to_equal_specs(tmp_path: Path) -> None:
    toml_spec = load_tree(SHOP / "tree.toml")
    assert load_tree(SHOP / "tree.yaml") == toml_spec
    as_json = write(tmp_path, msgspec.json.encode(toml_spec).decode(), "tree.json")
    assert load_tree(as_json) == toml_spec
    as_yml = write(tmp_path, yaml.safe_dump(msgspec.to_builtins(toml_spec)), "tree.yml")
    assert load_tree(as_yml) == toml_spec


def test_specs_are_frozen(tmp_path: Path) -> None:
    spec = load_tree(write(tmp_path, TREE))
    with pytest.raises(AttributeError):
        spec.tree.name = "other"  # type: ignore[misc]


def test_the_shop_demo_has_no_warnings() -> None:
    assert tree_warnings(load_tree(SHOP / "tree.toml")) == ()


def test_warnings_flag_huge_budgets_finite_supervisor_shutdowns_and_short_windows(
    tmp_path: Path,
) -> None:
    text = f"""
[tree]
max_restarts = 20
[[tree.children]]
name = "mid"
max_restarts = 50
shutdown = 5.0
[[tree.children.children]]
name = "leaf"
actor = "{A}:Echo"
[[tree.children.children]]
name = "fast"
max_restarts = 10
within = 0.01
[[tree.children.children]]
name = "slow"
max_restarts = 5
within = 1.0
backoff = {{ min = 1.0, max = 10.0 }}
[[tree.children.children]]
name = "code"
actor = "{A}:CodeSupervisor"
shutdown = 2
"""
    warnings = tree_warnings(load_tree(write(tmp_path, text)))
    assert [w.location for w in warnings] == [
        "$.tree.children[0].max_restarts",
        "$.tree.children[0].shutdown",
        "$.tree.children[0].children[1].within",
        "$.tree.children[0].children[2].within",
        "$.tree.children[0].children[3].shutdown",
    ]
    assert warnings[0].found.startswith("1071 (21 x 51:")
    assert "never gives up" in warnings[3].hint


async def test_a_hand_built_spec_naming_a_missing_class_is_refused_by_spawn_tree() -> None:
    spec = TreeSpec(
        tree=SupervisorSpec(name="app", children=(WorkerSpec(name="a", actor=f"{A}:Gone"),))
    )
    async with ActorSystem("app") as system:
        with pytest.raises(ConfigError) as caught:
            await spawn_tree(system, spec)
        assert [p.location for p in caught.value.errors] == ["$.tree.children[0].actor"]
        assert system.actors == ()


# ----------------------------------------------------------------------------- running

STRATEGY_NAMES = {OneForOne: "one_for_one", OneForAll: "one_for_all", RestForOne: "rest_for_one"}


async def assert_live_tree_matches(ref: ActorRef, node: SupervisorSpec) -> None:
    """The live supervisor at ``ref`` has the file's strategy, budget and children (names,
    order, restart types, kinds), recursively."""
    live = instance(ref)
    assert type(live).__name__ == node.name  # its actor_class in logs and metrics
    assert STRATEGY_NAMES[type(live.strategy)] == node.strategy
    assert (live.strategy.max_restarts, live.strategy.within) == (node.max_restarts, node.within)
    infos = await ref.ask(WhichChildren())
    assert [(info.name, info.restart.value) for info in infos] == [
        (child.name, child.restart) for child in node.children
    ]
    for info, child in zip(infos, node.children, strict=True):
        assert info.ref.path == f"{ref.path}/{child.name}"
        if isinstance(child, SupervisorSpec):
            await assert_live_tree_matches(info.ref, child)
        elif isinstance(child, DynamicSupervisorSpec):
            assert isinstance(instance(info.ref), DynamicSupervisor)
        elif isinstance(child, PoolSpec):
            assert len(instance(info.ref).routees) == child.pool.size
        else:
            assert type(instance(info.ref)).__name__ == child.actor.rpartition(":")[2]


async def test_the_shop_demo_starts_as_its_file_says() -> None:
    spec = load_tree(SHOP / "tree.toml")
    async with create_system(spec) as system:
        root = await spawn_tree(system, spec)
        assert root.path == "/shop"
        await assert_live_tree_matches(root, spec.tree)


async def test_the_live_tree_matches_the_file(tmp_path: Path) -> None:
    spec = load_tree(write(tmp_path, TREE))
    system = create_system(spec)
    assert system.name == "app"
    async with system:
        root = await spawn_tree(system, spec)
        assert root.path == "/app"
        await assert_live_tree_matches(root, spec.tree)
        assert instance(root).strategy == OneForAll(max_restarts=4, within=2.0)

        greeter = lookup(system, "/app/greeter")
        assert await greeter.ask("you") == "hi youhi you"
        assert (greeter.statistics().capacity, greeter._cell.mailbox.overflow) == (
            7,
            Overflow.DROP_OLDEST,
        )

        backend = lookup(system, "/app/backend")
        backend_instance = instance(backend)
        assert isinstance(backend_instance.strategy, RestForOne)
        assert backend_instance.strategy.backoff.min == 0.1
        assert [c.name for c in await backend.ask(WhichChildren())] == ["db", "api"]
        assert await lookup(system, "/app/backend/db").ask("?") == ("sqlite://", 3, ("a", "b"))
        assert lookup(system, "/app/backend/api")._cell.shutdown_timeout == 1.5

        workers = lookup(system, "/app/workers")
        assert isinstance(instance(workers), Pool)
        assert [r.name for r in instance(workers).routees] == ["routee-0", "routee-1", "routee-2"]

        sessions = lookup(system, "/app/sessions")
        assert isinstance(instance(sessions), DynamicSupervisor)
        assert isinstance(instance(sessions).strategy, OneForOne)
        session = await start_child(sessions, "http://x")
        assert session.path == "/app/sessions/session-1"
        assert await session.ask("?") == ("http://x", 3, ())

        assert [c.name for c in await lookup(system, "/app/legacy").ask(WhichChildren())] == [
            "inner"
        ]


async def test_subscriptions_from_the_file_reach_workers_and_pools_and_survive_restarts(
    tmp_path: Path,
) -> None:
    _config_actors.EVENTS.clear()
    spec = load_tree(write(tmp_path, TREE))
    async with create_system(spec) as system:
        await spawn_tree(system, spec)
        greeter = lookup(system, "/app/greeter")
        await system.publish("news.today", "first")
        await system.publish("jobs.build", "job")
        await system.wait_idle()
        with pytest.raises(Exception, match="boom"):
            await greeter.ask("boom")  # one_for_all: the whole root restarts
        await system.wait_idle()
        await system.publish("news.tomorrow", "second")
        await system.wait_idle()
    paths = [path for path, _ in _config_actors.EVENTS]
    assert [message for _, message in _config_actors.EVENTS] == ["first", "job", "second"]
    assert paths[0] == paths[2] == "/app/greeter"
    assert paths[1].startswith("/app/workers/routee-")


async def test_rest_for_one_from_a_file_restarts_the_later_siblings(tmp_path: Path) -> None:
    text = f"""
[tree]
name = "app"
[[tree.children]]
name = "chain"
strategy = "rest_for_one"
children = [
  {{ name = "a", actor = "{A}:Echo" }},
  {{ name = "b", actor = "{A}:Echo" }},
  {{ name = "c", actor = "{A}:Echo" }},
]
"""
    spec = load_tree(write(tmp_path, text))
    async with create_system(spec) as system:
        await spawn_tree(system, spec)
        before = {name: instance(lookup(system, f"/app/chain/{name}")) for name in "abc"}
        with pytest.raises(Exception, match="boom"):
            await lookup(system, "/app/chain/b").ask("boom")
        await system.wait_idle()
        after = {name: instance(lookup(system, f"/app/chain/{name}")) for name in "abc"}
    assert [before[name] is after[name] for name in "abc"] == [True, False, False]


async def test_a_child_that_fails_to_start_fails_spawn_tree(tmp_path: Path) -> None:
    text = f'[tree]\nname = "app"\n[[tree.children]]\nname = "db"\nactor = "{A}:FailsToStart"'
    spec = load_tree(write(tmp_path, text))
    async with create_system(spec) as system:
        with pytest.raises(ActorStartError) as caught:
            await spawn_tree(system, spec)
        assert system.actors == ()
    assert "cannot open the database" in repr(caught.value.__cause__.__cause__)
