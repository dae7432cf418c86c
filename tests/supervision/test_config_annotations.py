"""A constructor's annotations that cannot be evaluated: the file is not refused (the class
works), its args are passed as written, and an annotation that fails for another reason
than a missing name is reported, never hidden."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from supervision import WorkerSpec, load_tree

MODULE = "_annotated_actors_for_config"


@pytest.fixture
def actors_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    (tmp_path / f"{MODULE}.py").write_text(
        textwrap.dedent(
            """
            from __future__ import annotations

            from typing import TYPE_CHECKING, Any

            from actors import Actor

            if TYPE_CHECKING:
                from decimal import Decimal


            class TypeCheckingOnly(Actor):
                def __init__(self, amount: Decimal = None) -> None:
                    self.amount = amount

                def receive(self, message: Any) -> Any:
                    return self.amount


            class Failing(Actor):
                def __init__(self, amount: 1 / 0 = None) -> None:
                    self.amount = amount

                def receive(self, message: Any) -> Any:
                    return self.amount
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield MODULE
    sys.modules.pop(MODULE, None)


def tree(tmp_path: Path, actor: str) -> Path:
    path = tmp_path / "tree.toml"
    path.write_text(
        f'[tree]\nname = "app"\n[[tree.children]]\nname = "a"\nactor = "{MODULE}:{actor}"\n'
        'args = { amount = "12.5" }\n'
    )
    return path


def test_an_annotation_naming_a_type_checking_import_passes_the_args_as_written(
    tmp_path: Path, actors_module: str
) -> None:
    with capture_logs() as logs:
        spec = load_tree(tree(tmp_path, "TypeCheckingOnly"))
    (child,) = spec.tree.children
    assert isinstance(child, WorkerSpec)
    assert child.args == {"amount": "12.5"}
    assert not [log for log in logs if log["event"] == "config.annotations_unusable"]


def test_an_annotation_that_fails_otherwise_is_logged_with_its_error(
    tmp_path: Path, actors_module: str
) -> None:
    with capture_logs() as logs:
        spec = load_tree(tree(tmp_path, "Failing"))
    (child,) = spec.tree.children
    assert isinstance(child, WorkerSpec)
    assert child.args == {"amount": "12.5"}
    (warning,) = [log for log in logs if log["event"] == "config.annotations_unusable"]
    assert warning["log_level"] == "warning"
    assert warning["actor"] == f"{MODULE}.Failing"
    assert "ZeroDivisionError" in warning["error"]
    assert isinstance(warning["exc_info"], ZeroDivisionError)
