"""``retry`` and ``handler_timeout`` in tree files: decoded into the children's specs,
effective in the running tree, and refused with located problems when wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from actors import ActorFailed, Backoff, HandlerTimeout, Retry
from supervision import (
    ConfigError,
    RetrySpec,
    WhichChildren,
    create_system,
    load_tree,
    spawn_tree,
    start_child,
)

A = "tests.supervision._config_actors"

TREE = f"""
[tree]
name = "app"
max_restarts = 10

[[tree.children]]
name = "flaky"
actor = "{A}:Echo"
handler_timeout = 2.0

[tree.children.retry]
max_attempts = 4
backoff = {{ min = 0.5, max = 2.0, jitter = 0 }}
on = ["builtins:RuntimeError"]
to_back = true

[[tree.children]]
name = "sessions"
template = {{ actor = "{A}:Echo", retry = {{ max_attempts = 2 }}, handler_timeout = 1.5 }}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tree.toml"
    path.write_text(text)
    return path


def problems(tmp_path: Path, text: str) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as caught:
        load_tree(write(tmp_path, text))
    return [(problem.location, str(problem)) for problem in caught.value.errors]


def test_retry_and_handler_timeout_decode_into_the_spec(tmp_path: Path) -> None:
    spec = load_tree(write(tmp_path, TREE))
    worker = spec.tree.children[0]
    assert worker.retry == RetrySpec(  # type: ignore[union-attr]
        max_attempts=4,
        backoff=spec.tree.children[0].retry.backoff,  # type: ignore[union-attr]
        on=("builtins:RuntimeError",),
        to_back=True,
    )
    assert worker.handler_timeout == 2.0  # type: ignore[union-attr]


@pytest.mark.actors(virtual_time=True)
async def test_the_running_children_follow_the_files_retry_and_handler_timeout(
    tmp_path: Path,
) -> None:
    spec = load_tree(write(tmp_path, TREE))
    async with create_system(spec) as system:
        root = await spawn_tree(system, spec)
        [flaky_info, _] = await root.ask(WhichChildren())
        flaky = flaky_info.ref
        cell = flaky._cell
        assert cell.redelivery is not None
        assert cell.redelivery.policy == Retry(
            4,
            backoff=Backoff(min=0.5, max=2.0, jitter=0.0),
            on=(RuntimeError,),
            to_back=True,
        )
        assert cell.handler_timeout == 2.0
        # Echo raises RuntimeError on "boom": retried 4 times, then answered with the last.
        with pytest.raises(ActorFailed):
            await flaky.ask("boom", timeout=30.0)
        assert system.dead_letters.by_reason == {"max_attempts": 1}
        sessions = system.lookup("/app/sessions")
        assert sessions is not None
        session = await start_child(sessions)
        assert session._cell.handler_timeout == 1.5
        assert session._cell.redelivery is not None
        assert session._cell.redelivery.policy == Retry(2)
        assert HandlerTimeout.__module__ == "actors"


@pytest.mark.parametrize(
    ("body", "location", "text"),
    [
        ("retry = 3", "$.tree.children[0].retry", "a table such as { max_attempts = 3 }"),
        (
            "retry = { max_attempts = 0 }",
            "$.tree.children[0].retry.max_attempts",
            "an int >= 1, got 0",
        ),
        (
            "retry = { max_attempt = 2 }",
            "$.tree.children[0].retry.max_attempt",
            "did you mean 'max_attempts'?",
        ),
        (
            'retry = { on = ["builtins:KeyboardInterrupt"] }',
            "$.tree.children[0].retry.on[0]",
            "an Exception subclass",
        ),
        ("retry = { on = [] }", "$.tree.children[0].retry.on", "a non-empty list"),
        ('retry = { to_back = "yes" }', "$.tree.children[0].retry.to_back", "true or false"),
        (
            "retry = { backoff = { min = 2.0, max = 1.0 } }",
            "$.tree.children[0].retry.backoff.max",
            "a number >= min (2.0)",
        ),
        ("handler_timeout = 0", "$.tree.children[0].handler_timeout", "a number > 0"),
        ('handler_timeout = "2s"', "$.tree.children[0].handler_timeout", "a number > 0"),
    ],
)
def test_bad_retry_and_handler_timeout_are_refused_where_they_are(
    tmp_path: Path, body: str, location: str, text: str
) -> None:
    found = problems(
        tmp_path, f'[tree]\nname = "app"\n[[tree.children]]\nname = "w"\nactor = "{A}:Echo"\n{body}'
    )
    assert [where for where, _ in found] == [location]
    assert text in found[0][1]


def test_retry_belongs_to_workers_not_supervisors(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        '[tree]\nname = "app"\nretry = { max_attempts = 2 }\n'
        f'[[tree.children]]\nname = "w"\nactor = "{A}:Echo"\n',
    )
    assert [where for where, _ in found] == ["$.tree.retry"]
    assert "a key of a worker" in found[0][1]


POOL_TREE = f"""
[tree]
name = "app"

[[tree.children]]
name = "workers"
actor = "{A}:Echo"
pool = {{ size = 2, max_restarts = 10 }}
retry = {{ max_attempts = 3, on = ["builtins:RuntimeError"] }}
handler_timeout = 2.5
"""


@pytest.mark.actors(virtual_time=True)
async def test_a_pools_retry_and_handler_timeout_apply_to_its_routees(tmp_path: Path) -> None:
    spec = load_tree(write(tmp_path, POOL_TREE))
    pool_node = spec.tree.children[0]
    assert pool_node.retry == RetrySpec(max_attempts=3, on=("builtins:RuntimeError",))  # type: ignore[union-attr]
    async with create_system(spec) as system:
        await spawn_tree(system, spec)
        for index in range(2):
            routee = system.lookup(f"/app/workers/routee-{index}")
            assert routee is not None
            assert routee._cell.handler_timeout == 2.5
            assert routee._cell.redelivery is not None
            assert routee._cell.redelivery.policy == Retry(3, on=(RuntimeError,))
        pool = system.lookup("/app/workers")
        assert pool is not None
        assert pool._cell.redelivery is None  # the pool itself only routes
        with pytest.raises(ActorFailed):
            await pool.ask("boom", timeout=30.0)
        await system.wait_idle()
        assert system.dead_letters.by_reason == {"max_attempts": 1}
        [letter] = system.dead_letters.recent
        assert len(letter.error.errors) == 3  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("body", "location", "text"),
    [
        (
            "retry = { max_attempts = 0 }",
            "$.tree.children[0].retry.max_attempts",
            "an int >= 1, got 0",
        ),
        ("handler_timeout = -1", "$.tree.children[0].handler_timeout", "a number > 0"),
    ],
)
def test_a_pools_bad_retry_or_handler_timeout_is_refused_where_it_is(
    tmp_path: Path, body: str, location: str, text: str
) -> None:
    found = problems(
        tmp_path,
        f'[tree]\nname = "app"\n[[tree.children]]\nname = "p"\nactor = "{A}:Echo"\n'
        f"pool = {{ size = 2 }}\n{body}",
    )
    assert [where for where, _ in found] == [location]
    assert text in found[0][1]
