"""The examples the tutorial and how-to pages include run, and do what the pages say."""

from __future__ import annotations

import ast
import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from actors import Overflow
from actors.testing import run_virtual

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
# Runs until a signal: tests/test_embed_examples.py stops it with one.
LONG_RUNNING = {"examples.embed.plain_service"}


def runnable_modules() -> list[str]:
    """Every example module with an ``if __name__ == "__main__":`` block."""
    modules = []
    for path in sorted(EXAMPLES.rglob("*.py")):
        tree = ast.parse(path.read_text())
        if any(
            isinstance(node, ast.If) and "__main__" in ast.unparse(node.test) for node in tree.body
        ):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            if module not in LONG_RUNNING:
                modules.append(module)
    return modules


@pytest.mark.real_time
@pytest.mark.parametrize("module", runnable_modules())
def test_every_runnable_example_runs_as_a_module(module: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", module],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_the_runnable_examples_include_the_new_tutorial_and_how_to_pages() -> None:
    modules = set(runnable_modules())
    assert {
        "examples.tutorial.first_actor",
        "examples.tutorial.tell_and_ask",
        "examples.supervision.decider",
        "examples.supervision.sessions",
        "examples.mailboxes",
        "examples.blocking",
    } <= modules


def test_the_first_actor_greets_in_order_and_stops(capsys: pytest.CaptureFixture[str]) -> None:
    from examples.tutorial import first_actor

    assert run_virtual(first_actor.main()) == [
        "Hello, Ada! (#1)",
        "Hello, Grace! (#2)",
        "Hello, Barbara! (#3)",
    ]
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "/greeter is ready"
    assert out[1] == "<ActorRef /greeter>"
    assert "/greeter stops after 3 greetings" in out
    assert "alive: False" in out
    assert run_virtual(first_actor.with_arguments()) == "Bonjour, Marie! (#1)"


def test_tell_and_ask_shows_failures_timeouts_and_actors_asking_actors(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from examples.tutorial import tell_and_ask

    outcome = run_virtual(tell_and_ask.main())  # the audit's second passes instantly
    assert outcome == {
        "balances": {"bob": 20, "carol": 30},
        "alice_alive": False,
        "dead_letters": {"failed": 1},
    }
    out = capsys.readouterr().out
    assert "alice: 120" in out
    assert "refused: insufficient funds: 120 < 500" in out
    assert "the audit took too long" in out
    assert "bob: 50" in out
    assert "moved 30" in out


def test_the_decider_resumes_restarts_and_stops(capsys: pytest.CaptureFixture[str]) -> None:
    from examples.supervision import decider

    outcome = run_virtual(decider.main())
    assert outcome["alive"] is False
    assert outcome["dead_letters"] == {"failed": 3}
    out = capsys.readouterr().out
    assert "resumed, total kept: 6" in out
    assert "restarted, total lost: 1" in out
    assert "stopped for good: True" in out


def test_the_dynamic_supervisor_starts_and_stops_sessions(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from examples.supervision import sessions

    assert run_virtual(sessions.main()) == ["/sessions/session-1", "/sessions/session-2"]
    out = capsys.readouterr().out
    assert "user 7 has seen 2 pages" in out
    assert "False True" in out


def test_the_mailbox_policies_behave_as_the_how_to_says(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from examples import mailboxes

    outcome = run_virtual(mailboxes.main())
    assert outcome["block"] == [1, 2, 3]
    assert outcome["reject"] == [3, 4]
    assert outcome["drop"] == {
        Overflow.DROP_NEWEST.value: [1, 2],
        Overflow.DROP_OLDEST.value: [3, 4],
    }
    assert outcome["dead_letters"] == {"mailbox_full": 4}
    out = capsys.readouterr().out
    assert "tell_nowait refused 3" in out
    assert "tell gave up on 3" in out
    assert "dead letters: [3, 4, 1, 2]" in out
    assert "depth 30/100, high-water mark 30" in out
    assert "accepted 31 = processed 31" in out


@pytest.mark.real_time  # threads
def test_blocking_actors_leave_the_loop_free(capsys: pytest.CaptureFixture[str]) -> None:
    import hashlib

    from examples import blocking

    outcome = asyncio.run(blocking.main())
    assert outcome["released"] is True
    assert outcome["digests"][3] == (
        hashlib.pbkdf2_hmac("sha256", b"password-3", b"salt", blocking.ITERATIONS).hex()
    )
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == ["heartbeat: alive", "stuck actor released: True"]


def test_a_tree_from_a_file_runs_from_python(capsys: pytest.CaptureFixture[str]) -> None:
    from examples.shop import from_python

    outcome = run_virtual(from_python.main(seconds=0.2))
    assert outcome == {"root": "/shop", "actors": 11, "closed": True}
    assert "/shop: 11 actors" in capsys.readouterr().out


def test_the_mailbox_settings_file_loads_to_the_same_mailboxes_as_the_code() -> None:
    from examples import mailboxes
    from supervision import WorkerSpec, load_tree

    spec = load_tree(EXAMPLES / "mailboxes.toml")
    children = {child.name: child for child in spec.tree.children}
    for child_spec in mailboxes.Ingest.children:
        child = children[child_spec.name]
        assert isinstance(child, WorkerSpec)
        assert child.mailbox is not None
        assert child.mailbox.capacity == child_spec.capacity
        assert child.mailbox.overflow == child_spec.overflow.value
