"""Issue 13's layering rule inside the packages: no import cycles, including under
``TYPE_CHECKING``, except where a comment says why.

Run-time (module-level) imports must form no cycle at all. A ``TYPE_CHECKING`` import that
closes a cycle (the imported module reaches back to the importer) is allowed only with a
comment in its ``if TYPE_CHECKING:`` block saying why (a line containing ``cycle:``).
import-linter's contracts hold the arrows between layers; this test holds them within one.
"""

from __future__ import annotations

import ast
import collections
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("actors", "supervision")

# The upward arrows the import-linter contracts in pyproject.toml list, each with its reason
# there: they are the documented exceptions, so they close no cycle here.
LISTED = {
    ("actors._core._context", "actors._system._system"),
    ("actors.metrics", "actors._system._system"),
    ("actors.metrics", "actors._asgi._metrics_app"),
}


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _targets(node: ast.stmt, known: dict[str, Path]) -> list[str]:
    targets: list[str] = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.ImportFrom) and sub.level == 0 and sub.module:
            targets.append(sub.module)
        elif isinstance(sub, ast.Import):
            targets.extend(alias.name for alias in sub.names)
    return [target for target in targets if target in known]


def _is_type_checking(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _graphs() -> tuple[dict[str, set[str]], dict[str, dict[str, bool]]]:
    """Run-time module-level import edges, and typing-only edges (with whether their
    block carries a ``cycle:`` comment)."""
    known = _modules()
    runtime: dict[str, set[str]] = collections.defaultdict(set)
    typing_only: dict[str, dict[str, bool]] = collections.defaultdict(dict)
    for name, path in known.items():
        source = path.read_text()
        lines = source.splitlines()
        for node in ast.parse(source).body:
            if _is_type_checking(node):
                assert isinstance(node, ast.If)
                block = lines[node.lineno - 1 : node.end_lineno]
                commented = any("cycle:" in line for line in block)
                for target in _targets(node, known):
                    if target != name and (name, target) not in LISTED:
                        typing_only[name][target] = commented
            elif isinstance(node, ast.Import | ast.ImportFrom | ast.If | ast.Try):
                runtime[name].update(
                    t for t in _targets(node, known) if t != name and (name, t) not in LISTED
                )
    return runtime, typing_only


def _reaches(graph: dict[str, set[str]], start: str, goal: str) -> bool:
    seen = {start}
    todo = [start]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt == goal:
                return True
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return False


def test_module_level_imports_form_no_cycle() -> None:
    runtime, _ = _graphs()
    cycles = [
        f"{module} -> {target}"
        for module, targets in runtime.items()
        for target in targets
        if _reaches(runtime, target, module)
    ]
    assert cycles == []


def test_a_typing_only_import_that_closes_a_cycle_says_why() -> None:
    runtime, typing_only = _graphs()
    every: dict[str, set[str]] = collections.defaultdict(set)
    for module, targets in runtime.items():
        every[module] |= targets
    for module, typed in typing_only.items():
        every[module] |= set(typed)
    silent = [
        f"{module} -> {target}"
        for module, typed in typing_only.items()
        for target, commented in typed.items()
        if not commented and _reaches(every, target, module)
    ]
    assert silent == [], "add a '# cycle: why' comment to these TYPE_CHECKING blocks"
