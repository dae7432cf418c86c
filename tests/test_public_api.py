"""The public surface: __all__ matches the exports, private modules stay private, layering."""

from __future__ import annotations

import ast
import importlib
import pathlib
import types

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]

KERNEL_NAMES = {
    "Actor",
    "ActorRef",
    "ActorSystem",
    "Context",
    "Overflow",
    "Terminated",
    "DeadLetter",
    "ActorError",
    "ActorStopped",
    "AskTimeout",
    "MailboxFull",
    "ActorFailed",
    "ActorStartError",
}


@pytest.mark.parametrize(
    "package",
    [
        "actors",
        "actors.asgi",
        "actors.testing",
        "actors.tracing",
        "supervision",
        "supervision.asgi",
    ],
)
def test_all_lists_exactly_the_public_names(package: str) -> None:
    module = importlib.import_module(package)
    exported = set(module.__all__)
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name != "annotations"
    }
    assert exported == public
    for name in exported:
        assert getattr(module, name).__doc__, f"{package}.{name} has no docstring"


def test_the_kernel_exports_the_names_fixed_by_the_brief() -> None:
    import actors

    assert set(actors.__all__) >= KERNEL_NAMES


def test_the_errors_form_one_hierarchy() -> None:
    import actors

    for name in ("ActorStopped", "AskTimeout", "MailboxFull", "ActorFailed", "ActorStartError"):
        assert issubclass(getattr(actors, name), actors.ActorError)
    assert issubclass(actors.AskTimeout, TimeoutError)


def _imports(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_actors_never_imports_supervision() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "actors").rglob("*.py")
        if "supervision" in _imports(path)
    ]
    assert offenders == []
