"""``supervise run`` reloads its file on SIGHUP and through ``supervise reload``;
``supervise reload --dry-run`` prints the plan."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from .test_cli import A, Running, supervise, write

pytestmark = pytest.mark.real_time

ONE = f"""
[tree]
name = "app"
[[tree.children]]
name = "first"
actor = "{A}:Loud"
"""
TWO = (
    ONE
    + f"""
[[tree.children]]
name = "second"
actor = "{A}:Loud"
mailbox = {{ capacity = 10 }}
"""
)
BROKEN = ONE + "\n[[tree.children]]\nname = 'second'\nmax_restarts = -1\n"


def test_sighup_reloads_a_valid_file_and_refuses_an_invalid_one(tmp_path: Path) -> None:
    file = write(tmp_path, ONE)
    run = Running("run", file)
    try:
        run.read_until("started /app")
        file.write_text(TWO)
        run.send_signal(signal.SIGHUP)
        run.read_until("start /app/second")
        assert "1 change (1 add)" in run.read_until("reloaded")
        file.write_text(BROKEN)
        run.send_signal(signal.SIGHUP)
        run.read_until("refused, nothing changed (1 problem, on stderr)")
        file.write_text(ONE)
        run.send_signal(signal.SIGHUP)  # the invalid file changed nothing: "second" runs
        run.read_until("stop /app/second")
        run.read_until("reloaded")
        run.send_signal(signal.SIGTERM)
        code, out, err = run.finish()
    finally:
        run.close()
    assert code == 0
    assert "$.tree.children[1].max_restarts" in err
    assert out.count("start /app/first") == 1  # never restarted


def test_reload_through_the_control_socket_and_its_dry_run(tmp_path: Path) -> None:
    file = write(tmp_path, ONE)
    control = tmp_path / "control.sock"
    run = Running("run", file, "--control", control)
    try:
        run.read_until("listening for reloads")
        run.read_until("started /app")
        file.write_text(TWO)
        dry = supervise("reload", "--dry-run", "--control", control)
        assert dry.returncode == 0, dry.stderr
        assert dry.stdout.splitlines() == ["add      /app/second", "1 change (1 add)"]
        file.write_text(BROKEN)
        refused = supervise("reload", "--control", control)
        assert refused.returncode == 2
        assert "$.tree.children[1].max_restarts" in refused.stdout
        file.write_text(TWO)
        applied = supervise("reload", "--control", control)
        assert applied.returncode == 0, applied.stderr
        run.read_until("start /app/second")
        assert supervise("reload", "--dry-run", "--control", control).stdout == "0 changes\n"
        run.send_signal(signal.SIGTERM)
        code, _, _ = run.finish()
    finally:
        run.close()
    assert code == 0
    assert not control.exists()  # removed at exit


def test_reload_without_a_running_tree_says_so(tmp_path: Path) -> None:
    result = supervise("reload", "--control", tmp_path / "nobody.sock")
    assert result.returncode == 1
    assert "cannot reach a running tree" in result.stderr
