"""``decider`` tables in configuration files: validated with located problems, built into
an ``ExceptionDecider``, and applied by the running tree."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from actors import ActorFailed, ActorRef, ActorSystem
from supervision import (
    ConfigError,
    Directive,
    ExceptionDecider,
    SupervisorSpec,
    create_system,
    load_tree,
    spawn_tree,
)
from supervision.cli._check import render_tree

A = "tests.supervision._config_actors"

TREE = f"""
[tree]
name = "app"
decider = {{ "builtins:ValueError" = "resume", "builtins:LookupError" = "stop" }}

[[tree.children]]
name = "counter"
actor = "{A}:Counter"

[[tree.children]]
name = "pool"
actor = "{A}:Counter"
pool = {{ size = 1, decider = {{ "builtins:ValueError" = "resume" }} }}

[[tree.children]]
name = "sessions"
template = {{ actor = "{A}:Counter" }}
decider = {{ "builtins:ArithmeticError" = "escalate" }}
"""


def write(tmp_path: Path, text: str, name: str = "tree.toml") -> Path:
    path = tmp_path / name
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


def test_a_decider_table_loads_in_order_and_renders_in_check(tmp_path: Path) -> None:
    spec = load_tree(write(tmp_path, TREE))
    assert spec.tree.decider == {"builtins:ValueError": "resume", "builtins:LookupError": "stop"}
    lines = render_tree(spec)
    assert "decider: ValueError resume, LookupError stop" in lines[1]
    assert "(round_robin, decider: ValueError resume)" in lines[3]
    assert "decider: ArithmeticError escalate" in lines[4]


def test_the_same_decider_in_yaml_and_json_loads_to_an_equal_spec(tmp_path: Path) -> None:
    spec = load_tree(write(tmp_path, TREE))
    data = {
        "tree": {
            "name": "app",
            "decider": {"builtins:ValueError": "resume", "builtins:LookupError": "stop"},
            "children": [
                {"name": "counter", "actor": f"{A}:Counter"},
                {
                    "name": "pool",
                    "actor": f"{A}:Counter",
                    "pool": {"size": 1, "decider": {"builtins:ValueError": "resume"}},
                },
                {
                    "name": "sessions",
                    "template": {"actor": f"{A}:Counter"},
                    "decider": {"builtins:ArithmeticError": "escalate"},
                },
            ],
        }
    }
    assert load_tree(write(tmp_path, yaml.safe_dump(data), "tree.yaml")) == spec
    assert load_tree(write(tmp_path, json.dumps(data), "tree.json")) == spec


def test_a_child_with_only_a_decider_is_a_supervisor(tmp_path: Path) -> None:
    text = '[tree]\n[[tree.children]]\nname = "s"\ndecider = { "builtins:OSError" = "stop" }\n'
    (child,) = load_tree(write(tmp_path, text)).tree.children
    assert isinstance(child, SupervisorSpec)


def test_every_problem_of_a_decider_is_located_with_a_did_you_mean(tmp_path: Path) -> None:
    text = f"""
[tree]
name = "app"
[tree.decider]
ValueError = "resume"
"builtins:IOError" = "stop"
"builtins:OSError" = "stop"
"builtins:int" = "stop"
"builtins:KeyboardInterrupt" = "resume"
"builtins:KeyError" = "resum"
"{A}:FailedOnPurpse" = "stop"
"builtins:ValueErrr" = "stop"

[[tree.children]]
name = "s"
decider = "resume"
[[tree.children]]
name = "p"
actor = "{A}:Counter"
pool = {{ size = 1, decider = {{ "builtins:KeyError" = 1 }} }}
[[tree.children]]
name = "d"
template = {{ actor = "{A}:Counter" }}
decider = {{ "{A}:Counter" = "stop" }}
"""
    found = problems(tmp_path, text)
    assert [location for location, _ in found] == [
        "$.tree.decider.ValueError",
        "$.tree.decider['builtins:OSError']",
        "$.tree.decider['builtins:int']",
        "$.tree.decider['builtins:KeyboardInterrupt']",
        "$.tree.decider['builtins:KeyError']",
        f"$.tree.decider['{A}:FailedOnPurpse']",
        "$.tree.decider['builtins:ValueErrr']",
        "$.tree.children[0].decider",
        "$.tree.children[1].pool.decider['builtins:KeyError']",
        f"$.tree.children[2].decider['{A}:Counter']",
    ]
    messages = dict(found)
    assert "did you mean 'builtins:ValueError'?" in messages["$.tree.decider.ValueError"]
    assert "the same class as 'builtins:IOError'" in messages["$.tree.decider['builtins:OSError']"]
    assert "an Exception subclass" in messages["$.tree.decider['builtins:int']"]
    assert "never fail an actor" in messages["$.tree.decider['builtins:KeyboardInterrupt']"]
    assert "did you mean 'resume'?" in messages["$.tree.decider['builtins:KeyError']"]
    assert "did you mean 'FailsOnPurpose'?" in messages[f"$.tree.decider['{A}:FailedOnPurpse']"]
    assert "did you mean 'ValueError'?" in messages["$.tree.decider['builtins:ValueErrr']"]
    assert "a table from exception classes to directives" in messages["$.tree.children[0].decider"]
    assert (
        "one of 'resume', 'restart', 'stop', 'escalate', got 1"
        in messages["$.tree.children[1].pool.decider['builtins:KeyError']"]
    )
    assert "not an exception" in messages[f"$.tree.children[2].decider['{A}:Counter']"]


def test_decider_is_not_a_key_of_a_worker(tmp_path: Path) -> None:
    text = f"""
[tree]
[[tree.children]]
name = "w"
actor = "{A}:Counter"
decider = {{ "builtins:ValueError" = "resume" }}
"""
    ((location, message),) = problems(tmp_path, text)
    assert location == "$.tree.children[0].decider"
    assert "a key of a supervisor or a dynamic supervisor, not of a worker" in message


async def test_the_running_tree_resumes_stops_and_restarts_by_the_table(tmp_path: Path) -> None:
    spec = load_tree(write(tmp_path, TREE))
    async with create_system(spec) as system:
        await spawn_tree(system, spec)
        counter = lookup(system, "/app/counter")
        assert await counter.ask("one") == 1
        with pytest.raises(ActorFailed):
            await counter.ask(("raise", "UnicodeError"))  # a ValueError: resume
        assert await counter.ask("count") == 1  # the same instance: the count survived
        with pytest.raises(ActorFailed):
            await counter.ask(("raise", "RuntimeError"))  # not in the table: restart
        assert await counter.ask("count") == 0
        with pytest.raises(ActorFailed):
            await counter.ask(("raise", "KeyError"))  # a LookupError: stop for good
        await counter.wait_stopped()
        assert system.lookup("/app/counter") is None


async def test_a_pool_applies_its_decider_to_its_routees(tmp_path: Path) -> None:
    spec = load_tree(write(tmp_path, TREE))
    async with create_system(spec) as system:
        await spawn_tree(system, spec)
        pool = lookup(system, "/app/pool")
        assert await pool.ask("one") == 1
        with pytest.raises(ActorFailed):
            await pool.ask(("raise", "ValueError"))
        assert await pool.ask("count") == 1  # resumed


async def test_hand_built_specs_get_the_same_decider(tmp_path: Path) -> None:
    spec = load_tree(write(tmp_path, TREE))
    async with create_system(spec) as system:
        root = await spawn_tree(system, spec)
        decider: Any = root._cell.instance.strategy.decider  # the live supervisor's strategy
    assert decider == ExceptionDecider({ValueError: Directive.RESUME, LookupError: Directive.STOP})
