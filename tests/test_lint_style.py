"""The project lints clean under the rules its users copy its style into."""

from __future__ import annotations

import pathlib
import subprocess
import sys
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_ruf012_is_not_ignored_so_the_documented_children_style_lints_clean() -> None:
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text())
    lint = settings["tool"]["ruff"]["lint"]
    assert "RUF012" not in lint.get("ignore", [])
    assert "RUF" in lint["select"]


def test_the_examples_the_docs_include_pass_ruf012() -> None:
    # The examples are the docs' code: every `children = ...` a reader copies is among them.
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--select", "RUF012", "examples"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
