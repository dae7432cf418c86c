"""``supervise`` options for finding modules and choosing the event loop: ``--path``,
``--version``, ``--loop``, the help texts, and the report of a module not on sys.path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from supervision import ConfigError, load_tree
from supervision.cli._main import main

# Subprocesses of the real command: real time is the point.
pytestmark = pytest.mark.real_time

ROOT = Path(__file__).resolve().parents[2]
SUPERVISE = [sys.executable, "-m", "supervision"]

PACKAGE = """
import asyncio

from actors import Actor


class Shouts(Actor):
    async def on_start(self) -> None:
        loop = type(asyncio.get_running_loop())
        print(f"loop {loop.__module__}.{loop.__name__}", flush=True)

    def receive(self, message: object) -> object:
        return message
"""

TREE = """
[system]
name = "app"

[tree]
[[tree.children]]
name = "a"
actor = "shopapp:Shouts"
[[tree.children]]
name = "b"
actor = "shopapp:Shouts"
[[tree.children]]
name = "group"
children = [ { name = "c", actor = "shopapp:Shouts" } ]
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder: the package ``shopapp`` and ``tree.toml`` naming it."""
    folder = tmp_path / "project"
    (folder / "shopapp").mkdir(parents=True)
    (folder / "shopapp" / "__init__.py").write_text(PACKAGE)
    (folder / "tree.toml").write_text(TREE)
    return folder


def supervise(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SUPERVISE, *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )


def test_a_module_not_on_sys_path_is_explained_once_with_the_current_directory(
    project: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = supervise("check", project / "tree.toml", cwd=elsewhere)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines[0].endswith("3 problems in the configuration")
    assert "$.tree.children[0].actor" in lines[1]
    assert "No module named 'shopapp' on sys.path" in lines[1]
    assert "not found, as at $.tree.children[0].actor" in lines[2]
    assert "not found, as at $.tree.children[0].actor" in lines[3]
    notes = [line for line in lines if line.startswith("note: ")]
    assert len(notes) == 1
    assert f"relative to the current directory ({elsewhere})" in notes[0]
    assert "PYTHONPATH" in notes[0]
    assert "--path DIR" in notes[0]
    assert result.stderr.count("sys.path") == 1


def test_path_puts_a_directory_on_sys_path_for_check(project: Path, tmp_path: Path) -> None:
    result = supervise("check", "--path", project, project / "tree.toml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "worker shopapp:Shouts" in result.stdout


def test_path_is_repeatable_and_the_first_one_wins(project: Path, tmp_path: Path) -> None:
    shadow = tmp_path / "shadow"
    (shadow / "shopapp").mkdir(parents=True)
    (shadow / "shopapp" / "__init__.py").write_text("")  # no Shouts here
    first = supervise(
        "check", "--path", project, "--path", shadow, project / "tree.toml", cwd=tmp_path
    )
    assert first.returncode == 0, first.stderr
    second = supervise(
        "check", "--path", shadow, "--path", project, project / "tree.toml", cwd=tmp_path
    )
    assert second.returncode == 2
    assert "shopapp has no 'Shouts'" in second.stderr


def test_path_must_be_a_directory(project: Path, tmp_path: Path) -> None:
    result = supervise("check", "--path", tmp_path / "missing", project / "tree.toml", cwd=tmp_path)
    assert result.returncode == 2
    assert "argument --path: not a directory" in result.stderr


def test_path_works_for_run_and_the_default_loop_is_asyncio(project: Path, tmp_path: Path) -> None:
    result = supervise(
        "run", "--path", project, project / "tree.toml", "--for", "0.1", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("loop asyncio.unix_events._UnixSelectorEventLoop") == 3


def test_loop_uvloop_runs_the_tree_on_uvloop(project: Path, tmp_path: Path) -> None:
    pytest.importorskip("uvloop")
    result = supervise(
        "run",
        "--loop",
        "uvloop",
        "--path",
        project,
        project / "tree.toml",
        "--for",
        "0.1",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("loop uvloop.Loop") == 3


def test_loop_uvloop_without_uvloop_is_a_clear_error(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # what an interpreter without it sees
    monkeypatch.setattr(sys, "path", list(sys.path))  # main() prepends to sys.path
    code = main(["run", "--loop", "uvloop", str(project / "tree.toml"), "--for", "0.1"])
    assert code == 2
    err = capsys.readouterr().err
    assert "--loop uvloop needs the uvloop package" in err
    assert "pip install uvloop" in err


def test_version_prints_the_distribution_version(tmp_path: Path) -> None:
    from importlib.metadata import version

    result = supervise("--version", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith(f"supervise {version('actor-supervision')} (Python ")


@pytest.mark.parametrize("command", ["check", "run"])
def test_the_help_explains_file_and_path(command: str, tmp_path: Path) -> None:
    result = supervise(command, "--help", cwd=tmp_path)
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "FILE the tree's configuration file: .toml, .yaml, .yml or .json" in text
    assert "--path DIR import the file's modules from DIR too" in text
    if command == "run":
        assert "--loop {asyncio,uvloop}" in text


def test_load_tree_notes_where_modules_are_looked_for(project: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_tree(project / "tree.toml")
    assert [problem.location for problem in raised.value.errors] == [
        "$.tree.children[0].actor",
        "$.tree.children[1].actor",
        "$.tree.children[2].children[0].actor",
    ]
    (note,) = raised.value.__notes__
    assert "'shopapp' is not there" in note


def test_a_missing_dependency_of_a_module_is_not_blamed_on_sys_path(tmp_path: Path) -> None:
    (tmp_path / "needs_dependency.py").write_text("import no_such_dependency_at_all\n")
    tree = tmp_path / "tree.toml"
    tree.write_text('[tree]\n[[tree.children]]\nname = "a"\nactor = "needs_dependency:X"\n')
    sys.path.insert(0, str(tmp_path))
    try:
        with pytest.raises(ConfigError) as raised:
            load_tree(tree)
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("needs_dependency", None)
    (problem,) = raised.value.errors
    assert "it imports 'no_such_dependency_at_all', which is not installed" in problem.hint
    assert not getattr(raised.value, "__notes__", [])
