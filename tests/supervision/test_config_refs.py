"""Ref arguments in configuration files: ``args = { x = { ref = "../y" } }`` is validated
with located problems, and becomes a ``PathRef`` that reaches the actor at that path,
across restarts that re-create its slot."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors import ActorFailed, ActorRef, ActorStopped, ActorSystem
from supervision import (
    ConfigError,
    PathRef,
    SupervisorSpec,
    TreeSpec,
    WorkerSpec,
    create_system,
    load_tree,
    spawn_tree,
    start_child,
)
from supervision.config._refs import BadRef, absolute_path, relative_path

A = "tests.supervision._config_actors"

TREE = f"""
[tree]
name = "app"

[[tree.children]]
name = "front"               # declared first: its ref reaches a node started after it
actor = "{A}:Forwarder"
args = {{ target = {{ ref = "../backend/store" }} }}

[[tree.children]]
name = "backend"
decider = {{ "builtins:ValueError" = "escalate" }}  # a store failure restarts the backend
children = [ {{ name = "store", actor = "{A}:Counter" }} ]

[[tree.children]]
name = "pool"
actor = "{A}:Forwarder"
args = {{ target = {{ ref = "/app/backend/store" }} }}
pool = {{ size = 2 }}

[[tree.children]]
name = "sessions"
template = {{ actor = "{A}:Forwarder", args = {{ target = {{ ref = "../backend/store" }} }} }}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tree.toml"
    path.write_text(text)
    return path


def lookup(system: ActorSystem, path: str) -> ActorRef:
    ref = system.lookup(path)
    assert ref is not None, path
    return ref


def problems(tmp_path: Path, text: str) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as raised:
        load_tree(write(tmp_path, text))
    return [(problem.location, problem.message) for problem in raised.value.errors]


def test_ref_arguments_load_as_plain_data(tmp_path: Path) -> None:
    spec = load_tree(write(tmp_path, TREE))
    front = spec.tree.children[0]
    assert isinstance(front, WorkerSpec)
    assert front.args == {"target": {"ref": "../backend/store"}}


async def test_a_ref_argument_reaches_its_actor(tmp_path: Path) -> None:
    spec = load_tree(write(tmp_path, TREE))
    async with create_system(spec) as system:
        await spawn_tree(system, spec)
        front = lookup(system, "/app/front")
        target = await front.ask("target")
        assert isinstance(target, PathRef)
        assert target.path == "/app/backend/store"
        assert target.current() is lookup(system, "/app/backend/store")
        assert await front.ask("one") == 1
        assert await lookup(system, "/app/pool").ask("two") == 2
        session = await start_child(lookup(system, "/app/sessions"))
        assert await session.ask("three") == 3


async def test_a_ref_argument_follows_a_slot_recreated_by_a_subtree_restart(
    tmp_path: Path,
) -> None:
    spec = load_tree(write(tmp_path, TREE))
    async with create_system(spec) as system:
        await spawn_tree(system, spec)
        front = lookup(system, "/app/front")
        assert await front.ask("one") == 1
        old_store = lookup(system, "/app/backend/store")
        with pytest.raises(ActorFailed):
            await old_store.ask(("raise", "ValueError"))  # escalated: /app/backend restarts
        await system.wait_idle()
        new_store = lookup(system, "/app/backend/store")
        assert new_store is not old_store
        assert not old_store.is_alive  # a plain ActorRef held by front would be stale now
        assert await front.ask("count") == 0  # the new store, fresh
        assert await front.ask("one") == 1
        assert await lookup(system, "/app/pool").ask("count") == 1
        assert (await front.ask("target")).current() is new_store


async def test_with_no_actor_at_the_path_tell_is_a_dead_letter_and_ask_fails_at_once(
    tmp_path: Path,
) -> None:
    async with ActorSystem("app") as system:
        ref = PathRef(system, "/app/nobody")
        assert not ref.is_alive
        assert ref.current() is None
        await ref.tell("lost?")
        ref.tell_nowait("lost too?")
        assert system.dead_letters.by_reason == {"stopped": 2}
        letter = system.dead_letters.recent[-1]
        assert letter.message == "lost too?"
        assert isinstance(letter.error, ActorStopped)
        assert letter.error.path == "/app/nobody"
        with pytest.raises(ActorStopped, match="no actor at this path"):
            await ref.ask("anyone?")
        with pytest.raises(ActorStopped):
            ref.statistics()


async def test_a_stopped_actor_at_the_path_behaves_as_its_stopped_ref(tmp_path: Path) -> None:
    text = f'[tree]\nname = "app"\n[[tree.children]]\nname = "c"\nactor = "{A}:Counter"\n'
    text += 'restart = "temporary"\n'
    spec = load_tree(write(tmp_path, text))
    async with create_system(spec) as system:
        await spawn_tree(system, spec)
        ref = PathRef(system, "/app/c")
        assert await ref.ask("one") == 1
        assert ref.statistics().processed == 1
        await lookup(system, "/app/c").stop()
        assert not ref.is_alive
        await ref.tell("late")
        assert system.dead_letters.recent[-1].recipient is not None  # the old slot's
        with pytest.raises(ActorStopped):
            await ref.ask("later")


async def test_path_refs_are_equal_by_system_and_path_and_print_their_path() -> None:
    async with ActorSystem("a") as first, ActorSystem("b") as second:
        assert PathRef(first, "/x/y/") == PathRef(first, "/x/y")
        assert PathRef(first, "/x/y") != PathRef(second, "/x/y")
        assert len({PathRef(first, "/x"), PathRef(first, "/x")}) == 1
        assert repr(PathRef(first, "/x/y")) == "<PathRef /x/y>"
        assert PathRef(first, "/x/y").name == "y"
        with pytest.raises(ValueError, match="starts with '/'"):
            PathRef(first, "x/y")


def test_every_problem_of_a_ref_is_located_with_a_did_you_mean(tmp_path: Path) -> None:
    text = f"""
[system]
name = "shop"
[tree]
[[tree.children]]
name = "w"
actor = "{A}:Forwarder"
args = {{ target = {{ ref = "../ledgr" }} }}
[[tree.children]]
name = "x"
actor = "{A}:Forwarder"
args = {{ target = {{ ref = "/shop/payments/ledgr" }} }}
[[tree.children]]
name = "y"
actor = "{A}:Forwarder"
args = {{ target = {{ ref = "../../../up" }} }}
[[tree.children]]
name = "z"
actor = "{A}:Forwarder"
args = {{ target = {{ ref = 3 }} }}
[[tree.children]]
name = "sessions"
template = {{ actor = "{A}:Forwarder", args = {{ target = {{ ref = "../sessions/session-1" }} }} }}
[[tree.children]]
name = "typed"
actor = "{A}:NeedsUrl"
args = {{ url = {{ ref = "../w" }} }}
[[tree.children]]
name = "payments"
children = [ {{ name = "ledger", actor = "{A}:Counter" }} ]
[[tree.children]]
name = "ledger"
actor = "{A}:Counter"
"""
    found = problems(tmp_path, text)
    assert [location for location, _ in found] == [
        "$.tree.children[5].args.url",
        "$.tree.children[0].args.target.ref",
        "$.tree.children[1].args.target.ref",
        "$.tree.children[2].args.target.ref",
        "$.tree.children[3].args.target.ref",
        "$.tree.children[4].template.args.target.ref",
    ]
    messages = [message for _, message in found]
    assert "a parameter that takes a ref" in messages[0]
    assert "NeedsUrl(url: a string)" in messages[0]
    assert "got '../ledgr' (/shop/ledgr) (did you mean '../ledger'?)" in messages[1]
    assert "relative to /shop/w" in messages[1]
    assert "did you mean '/shop/payments/ledger'?" in messages[2]
    assert "more '..' than levels above /shop/y" in messages[3]
    assert "got 3" in messages[4]
    assert "/shop/sessions is a dynamic supervisor: the actors it starts" in messages[5]


def test_a_table_with_more_keys_than_ref_is_a_plain_argument(tmp_path: Path) -> None:
    text = f"""
[tree]
[[tree.children]]
name = "w"
actor = "{A}:Forwarder"
args = {{ target = {{ ref = "/nowhere", note = "a dict, not a ref" }} }}
"""
    (child,) = load_tree(write(tmp_path, text)).tree.children
    assert isinstance(child, WorkerSpec)
    assert child.args["target"] == {"ref": "/nowhere", "note": "a dict, not a ref"}


async def test_a_hand_built_spec_with_an_unknown_ref_is_refused_by_spawn_tree() -> None:
    spec = TreeSpec(
        tree=SupervisorSpec(
            name="app",
            children=(
                WorkerSpec(name="w", actor=f"{A}:Forwarder", args={"target": {"ref": "../nobody"}}),
            ),
        )
    )
    async with create_system(spec) as system:
        with pytest.raises(ConfigError) as raised:
            await spawn_tree(system, spec)
        assert system.actors == ()
    (problem,) = raised.value.errors
    assert problem.location == "$.tree.children[0].args.target.ref"
    assert problem.found == "'../nobody' (/app/nobody)"
    assert problem.hint == ""  # /app is a supervisor: its children are all in the spec


_SEGMENTS = st.lists(st.sampled_from(["shop", "payments", "ledger", "a", "b"]), min_size=1)


@given(_SEGMENTS, _SEGMENTS)
def test_a_relative_path_written_for_a_target_resolves_back_to_it(
    base: list[str], target: list[str]
) -> None:
    base_path = "/" + "/".join(base)
    target_path = "/" + "/".join(target)
    written = relative_path(base_path, target_path)
    assert absolute_path(base_path, written) == target_path
    assert absolute_path(base_path, target_path) == target_path  # absolute ignores the base


@pytest.mark.parametrize(
    ("base", "written", "resolved"),
    [
        ("/shop/payments/gateway", "../ledger", "/shop/payments/ledger"),
        ("/shop/workers", "../payments/gateway", "/shop/payments/gateway"),
        ("/shop/workers", "./routee", "/shop/workers/routee"),
        ("/shop/workers", "..", "/shop"),
        ("/shop/workers", "/shop/chaos/", "/shop/chaos"),
    ],
)
def test_paths_resolve_like_file_system_paths(base: str, written: str, resolved: str) -> None:
    assert absolute_path(base, written) == resolved


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("", "a path"),
        ("/", "a path"),
        ("a//b", "not empty"),
        ("my ledger", "without whitespace"),
        ("../../..", "more '..' than levels"),
        ("../..", "not of the system's root"),
    ],
)
def test_paths_that_name_no_node_are_refused(written: str, reason: str) -> None:
    with pytest.raises(BadRef, match=reason):
        absolute_path("/shop/workers", written)
