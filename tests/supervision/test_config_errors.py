"""Broken configuration files: each is refused with every problem at its exact location."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from supervision import ConfigError, ConfigProblem, SupervisionError, load_tree

A = "tests.supervision._config_actors"
ECHO = f'actor = "{A}:Echo"'
MAILBOX = 'mailbox = { capacity = 0, overflow = "drop" }'
HASH = "consistent_hash"


def problems_of(tmp_path: Path, text: str, extension: str = "toml") -> list[ConfigProblem]:
    path = tmp_path / f"tree.{extension}"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_tree(path)
    return caught.value.errors


def toml(body: str, *, system: str = "") -> str:
    return f'{system}\n[tree]\nname = "app"\n{body}'


def deep_json(levels: int) -> str:
    node: dict[str, object] = {"name": f"level{levels}", "actor": f"{A}:Echo"}
    for level in range(levels - 1, 0, -1):
        node = {"name": f"level{level}", "children": [node]}
    node.pop("name")
    return json.dumps({"tree": node})


# (case id, file extension, file text, exact locations in order, a text the messages contain)
CASES: list[tuple[str, str, str, list[str], str]] = [
    (
        "unknown top-level key, did you mean",
        "toml",
        '[sytem]\nname = "x"\n[tree]\n',
        ["$.sytem"],
        "did you mean 'system'?",
    ),
    ("no tree", "toml", '[system]\nname = "x"\n', ["$.tree"], "the root supervisor"),
    (
        "unknown key in the root, did you mean",
        "toml",
        toml("max_restart = 3"),
        ["$.tree.max_restart"],
        "did you mean 'max_restarts'?",
    ),
    (
        "a string where an int belongs",
        "toml",
        toml('max_restarts = "3"'),
        ["$.tree.max_restarts"],
        "expected an int >= 0, got '3'",
    ),
    (
        "a boolean is not an int",
        "toml",
        toml("max_restarts = true"),
        ["$.tree.max_restarts"],
        "got true",
    ),
    (
        "negative max_restarts",
        "toml",
        toml("max_restarts = -1"),
        ["$.tree.max_restarts"],
        "$.tree.max_restarts: expected an int >= 0, got -1",
    ),
    ("zero within", "toml", toml("within = 0"), ["$.tree.within"], "a number > 0, got 0"),
    (
        "infinite within",
        "toml",
        toml("within = inf"),
        ["$.tree.within"],
        "a finite number",
    ),
    (
        "unknown strategy, did you mean",
        "toml",
        toml('strategy = "one_for_al"'),
        ["$.tree.strategy"],
        "did you mean 'one_for_all'?",
    ),
    (
        "unknown restart type",
        "toml",
        toml(f'[[tree.children]]\nname = "a"\n{ECHO}\nrestart = "permanant"'),
        ["$.tree.children[0].restart"],
        "did you mean 'permanent'?",
    ),
    (
        "unknown overflow and a zero capacity",
        "toml",
        toml(f'[[tree.children]]\nname = "a"\n{ECHO}\n{MAILBOX}'),
        ["$.tree.children[0].mailbox.capacity", "$.tree.children[0].mailbox.overflow"],
        "one of 'block', 'drop_newest', 'drop_oldest', 'reject'",
    ),
    (
        "unknown routing, zero pool size",
        "toml",
        toml(
            f'[[tree.children]]\nname = "p"\n{ECHO}\npool = {{ size = 0, routing = "round-robin" }}'
        ),
        ["$.tree.children[0].pool.size", "$.tree.children[0].pool.routing"],
        "did you mean 'round_robin'?",
    ),
    (
        "a pool's cluster flag that is not a boolean",
        "toml",
        toml(f'[[tree.children]]\nname = "p"\n{ECHO}\npool = {{ size = 2, cluster = "yes" }}'),
        ["$.tree.children[0].pool.cluster"],
        "true or false",
    ),
    (
        "a durable pool without cluster = true",
        "toml",
        toml(f'[[tree.children]]\nname = "p"\n{ECHO}\npool = {{ size = 2, durable = "jobs" }}'),
        ["$.tree.children[0].pool.durable"],
        "cluster = true",
    ),
    (
        "a durable pool's name that is no JetStream consumer name",
        "toml",
        toml(
            f'[[tree.children]]\nname = "p"\n{ECHO}\n'
            'pool = { size = 2, cluster = true, durable = "jobs.eu" }'
        ),
        ["$.tree.children[0].pool.durable"],
        "JetStream consumer name",
    ),
    (
        "consistent hash without a key function",
        "toml",
        toml(f'[[tree.children]]\nname = "p"\n{ECHO}\npool = {{ size = 2, routing = "{HASH}" }}'),
        ["$.tree.children[0].pool.key"],
        "a key function",
    ),
    (
        "a key function that is not callable",
        "toml",
        toml(
            f'[[tree.children]]\nname = "p"\n{ECHO}\n'
            f'pool = {{ size = 2, routing = "consistent_hash", key = "{A}:NOT_CALLABLE" }}'
        ),
        ["$.tree.children[0].pool.key"],
        "expected a callable",
    ),
    (
        "duplicate sibling names",
        "toml",
        toml(
            f'[[tree.children]]\nname = "a"\n{ECHO}\n[[tree.children]]\nname = "b"\n{ECHO}\n'
            f'[[tree.children]]\nname = "a"\n{ECHO}'
        ),
        ["$.tree.children[2].name"],
        "$.tree.children[0] has it too",
    ),
    (
        "a module that does not exist",
        "toml",
        toml('[[tree.children]]\nname = "a"\nactor = "no_such_package.actors:Echo"'),
        ["$.tree.children[0].actor"],
        "No module named 'no_such_package'",
    ),
    (
        "a module that raises when imported",
        "toml",
        toml('[[tree.children]]\nname = "a"\nactor = "tests.supervision._config_broken:X"'),
        ["$.tree.children[0].actor"],
        "RuntimeError: this module is broken on purpose",
    ),
    (
        "a missing class, did you mean",
        "toml",
        toml(f'[[tree.children]]\nname = "a"\nactor = "{A}:Ecko"'),
        ["$.tree.children[0].actor"],
        "did you mean 'Echo'?",
    ),
    (
        "a class that is not an Actor",
        "toml",
        toml(f'[[tree.children]]\nname = "a"\nactor = "{A}:NotAnActor"'),
        ["$.tree.children[0].actor"],
        "does not subclass actors.Actor",
    ),
    (
        "a function instead of a class",
        "toml",
        toml(f'[[tree.children]]\nname = "a"\nactor = "{A}:helper"'),
        ["$.tree.children[0].actor"],
        "expected an Actor subclass, got function 'helper'",
    ),
    (
        "an actor reference without a colon",
        "toml",
        toml(f'[[tree.children]]\nname = "a"\nactor = "{A}.Echo"'),
        ["$.tree.children[0].actor"],
        "'package.module:Name'",
    ),
    (
        "args that do not fit the constructor",
        "toml",
        toml(
            f'[[tree.children]]\nname = "a"\nactor = "{A}:NeedsUrl"\n'
            'args = { urll = "x", retries = "three" }'
        ),
        [
            "$.tree.children[0].args.urll",
            "$.tree.children[0].args.url",
            "$.tree.children[0].args.retries",
        ],
        "did you mean 'url'?",
    ),
    (
        "a required argument left out entirely",
        "toml",
        toml(f'[[tree.children]]\nname = "a"\nactor = "{A}:NeedsUrl"'),
        ["$.tree.children[0].args.url"],
        "the required argument 'url' of NeedsUrl",
    ),
    (
        "invalid bus patterns",
        "toml",
        toml(f'[[tree.children]]\nname = "a"\n{ECHO}\nsubscribe = ["orders.>", "a..b", "x.>.y"]'),
        ["$.tree.children[0].subscribe[1]", "$.tree.children[0].subscribe[2]"],
        "empty token at position 1",
    ),
    ("an empty file", "toml", "  \n\n", ["$"], "an empty file"),
    ("an empty YAML file", "yaml", "# nothing here\n", ["$"], "a table with a [tree]"),
    (
        "a TOML syntax error, with line and column",
        "toml",
        '[tree]\nname = "app"\nmax_restarts = = 3\n',
        ["$"],
        "$ (line 3, column 16): expected valid TOML",
    ),
    (
        "a TOML key written twice",
        "toml",
        "[tree]\nwithin = 1.0\nwithin = 2.0\n",
        ["$"],
        "(line 3",
    ),
    (
        "a YAML syntax error, with line and column",
        "yaml",
        "tree:\n  name: app\n  children: [\n",
        ["$"],
        "expected valid YAML",
    ),
    (
        "YAML duplicate keys",
        "yaml",
        f"tree:\n  children:\n    - name: a\n      actor: {A}:Echo\n      name: b\n",
        ["$.tree.children[0].name"],
        "$.tree.children[0].name (line 5, column 7): expected each key once",
    ),
    (
        "JSON duplicate keys",
        "json",
        '{"tree": {"within": 1, "within": 2}}',
        ["$.tree.within"],
        "more than once",
    ),
    (
        "a JSON syntax error",
        "json",
        '{"tree": {"within": 1,}}',
        ["$"],
        "(line 1, column 23)",
    ),
    (
        "a document that is a list",
        "yaml",
        "- tree\n",
        ["$"],
        "got a list",
    ),
    (
        "a tree deeper than the limit",
        "json",
        deep_json(40),
        ["$.tree" + ".children[0]" * 31 + ".children"],
        "at most 32 levels deep",
    ),
    (
        "a shutdown that is neither seconds nor infinity",
        "toml",
        toml(f'shutdown = "forever"\n[[tree.children]]\nname = "a"\n{ECHO}\nshutdown = -1'),
        ["$.tree.shutdown", "$.tree.children[0].shutdown"],
        'seconds >= 0 or "infinity"',
    ),
    (
        "a child of no known kind",
        "toml",
        toml('[[tree.children]]\nname = "a"\nargs = {}'),
        ["$.tree.children[0]"],
        "a worker (with 'actor')",
    ),
    (
        "a supervisor key on a worker",
        "toml",
        toml(f'[[tree.children]]\nname = "a"\n{ECHO}\nstrategy = "one_for_one"'),
        ["$.tree.children[0].strategy"],
        "a key of a supervisor, not of a worker",
    ),
    (
        "an unknown kind",
        "toml",
        toml(f'[[tree.children]]\nkind = "wroker"\nname = "a"\n{ECHO}'),
        ["$.tree.children[0].kind"],
        "did you mean 'worker'?",
    ),
    (
        "children that are not tables, and a bad name",
        "toml",
        toml(f'children = [1, {{ name = "a/b", {ECHO} }}]'),
        ["$.tree.children[0]", "$.tree.children[1].name"],
        "without '/' or whitespace",
    ),
    (
        "the reserved root name",
        "toml",
        '[tree]\nname = "system"\n',
        ["$.tree.name"],
        "reserved",
    ),
    (
        "a backoff whose max is below its min, and a bad jitter",
        "toml",
        toml("backoff = { min = 1.0, max = 0.5, jitter = 1 }"),
        ["$.tree.backoff.jitter", "$.tree.backoff.max"],
        "a number >= min (1.0), got 0.5",
    ),
    (
        "a dynamic supervisor without a template actor",
        "toml",
        toml(
            '[[tree.children]]\nname = "d"\ntemplate = { restart = "temporary" }\nmax_children = -1'
        ),
        ["$.tree.children[0].max_children", "$.tree.children[0].template.actor"],
        "the key is required",
    ),
    (
        "a system table with bad values",
        "toml",
        toml("", system='[system]\nname = ""\nblocking_threads = 0\nshutdown = "never"'),
        ["$.system.name", "$.system.shutdown", "$.system.blocking_threads"],
        "a non-empty string",
    ),
    (
        "a root that is a worker",
        "toml",
        toml(ECHO),
        ["$.tree.actor"],
        "[tree] is the root supervisor",
    ),
    (
        "non-string keys in YAML",
        "yaml",
        "tree:\n  1: x\n",
        ["$.tree"],
        "keys that are strings",
    ),
    (
        "many problems at once, in document order",
        "toml",
        toml(
            'strategy = "rest_for_all"\nmax_restarts = -3\n'
            f'[[tree.children]]\nname = "a"\nactor = "{A}:Nope"\n'
            f'[[tree.children]]\nname = "b"\n{ECHO}\nargs = {{ greting = "hi" }}\n'
            '[[tree.children]]\nname = "c"\nstrategy = "one_for_one"\nwithin = -1\n'
            f'[[tree.children.children]]\nname = "d"\n{ECHO}\nmailbox = {{ capacity = -5 }}'
        ),
        [
            "$.tree.strategy",
            "$.tree.max_restarts",
            "$.tree.children[0].actor",
            "$.tree.children[1].args.greting",
            "$.tree.children[2].within",
            "$.tree.children[2].children[0].mailbox.capacity",
        ],
        "did you mean 'greeting'?",
    ),
]


@pytest.mark.parametrize(
    ("extension", "text", "locations", "excerpt"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_a_broken_file_reports_every_problem_at_its_location(
    tmp_path: Path, extension: str, text: str, locations: list[str], excerpt: str
) -> None:
    problems = problems_of(tmp_path, text, extension)
    assert [problem.location for problem in problems] == locations
    assert excerpt in "\n".join(problem.message for problem in problems)


def test_the_table_has_at_least_25_cases() -> None:
    assert len(CASES) >= 25


def test_a_config_error_is_a_supervision_error_that_prints_every_problem(
    tmp_path: Path,
) -> None:
    path = tmp_path / "tree.toml"
    path.write_text(toml('strategy = "one_for_al"\nwithin = -1'))
    with pytest.raises(ConfigError) as caught:
        load_tree(path)
    error = caught.value
    assert isinstance(error, SupervisionError)
    assert str(error) == (
        f"{path}: 2 problems in the configuration\n"
        "  $.tree.strategy: expected one of 'one_for_one', 'one_for_all', 'rest_for_one',"
        " got 'one_for_al' (did you mean 'one_for_all'?)\n"
        "  $.tree.within: expected a number > 0, got -1"
    )
    first = error.errors[0]
    assert (first.location, first.expected, first.found) == (
        "$.tree.strategy",
        "one of 'one_for_one', 'one_for_all', 'rest_for_one'",
        "'one_for_al'",
    )
    assert first.message.startswith("$.tree.strategy: expected one of")


def test_a_file_that_cannot_be_read_or_has_another_extension_is_a_config_error(
    tmp_path: Path,
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_tree(tmp_path / "missing.toml")
    assert caught.value.errors[0].expected == "a readable file"
    (tmp_path / "tree.ini").write_text("[tree]\n")
    with pytest.raises(ConfigError) as caught:
        load_tree(tmp_path / "tree.ini")
    assert caught.value.errors[0].found == "'.ini'"
    (tmp_path / "bytes.toml").write_bytes(b"\xff\xfe[tree]")
    with pytest.raises(ConfigError, match="UTF-8"):
        load_tree(tmp_path / "bytes.toml")


def test_a_yaml_alias_loop_is_refused_by_the_depth_limit(tmp_path: Path) -> None:
    text = "tree: &node\n  name: loop\n  children: [*node]\n"
    problems = problems_of(tmp_path, text, "yaml")
    assert [p.location for p in problems] == ["$.tree" + ".children[0]" * 31 + ".children"]


def test_yaml_python_tags_are_refused(tmp_path: Path) -> None:
    text = "tree: !!python/object/apply:os.system ['echo pwned']\n"
    problems = problems_of(tmp_path, text, "yaml")
    assert [p.location for p in problems] == ["$"]
    assert problems[0].line == 1
