"""``supervise check FILE``: validate the file, print the tree and its warnings."""

from __future__ import annotations

from collections.abc import Mapping

from supervision.cli._output import report
from supervision.config._error import ConfigError
from supervision.config._spec import (
    INFINITY,
    ChildNode,
    DynamicSupervisorSpec,
    PoolSpec,
    SupervisorSpec,
    TreeSpec,
)
from supervision.config._tree import load_tree
from supervision.config._warnings import tree_warnings

__all__ = ["check", "render_tree"]


def check(file: str) -> int:
    try:
        spec = load_tree(file)
    except ConfigError as error:
        report(error)
        return 2
    print(f"{file}: valid")
    for line in render_tree(spec):
        print(line)
    warnings = tree_warnings(spec)
    for warning in warnings:
        print(f"warning: {warning.message}")
    print(f"{len(warnings)} warning{'s' if len(warnings) != 1 else ''}")
    return 0


def render_tree(spec: TreeSpec) -> list[str]:
    """The tree as ``check`` prints it: one line per node with its kind, strategy or actor
    class, and restart type."""
    system = spec.system
    lines = [f"system {system.name!r} (graceful shutdown within {_seconds(system.shutdown)})"]
    rows: list[tuple[str, str]] = [(spec.tree.name, _describe(spec.tree, root=True))]
    _rows(spec.tree, "", rows)
    width = max(len(label) for label, _ in rows)
    lines.extend(f"{label.ljust(width)}  {text}" for label, text in rows)
    return lines


def _rows(node: SupervisorSpec, prefix: str, rows: list[tuple[str, str]]) -> None:
    for index, child in enumerate(node.children):
        last = index == len(node.children) - 1
        rows.append((f"{prefix}{'└── ' if last else '├── '}{child.name}", _describe(child)))
        if isinstance(child, SupervisorSpec):
            _rows(child, prefix + ("    " if last else "│   "), rows)


def _describe(node: ChildNode, *, root: bool = False) -> str:
    if isinstance(node, SupervisorSpec):
        text = f"supervisor {node.strategy} (max_restarts {node.max_restarts} within"
        text += f" {node.within:g}s"
        if node.backoff is not None:
            text += f", backoff {node.backoff.min:g}s..{node.backoff.max:g}s"
        text += _decider(node.decider) + ")"
    elif isinstance(node, DynamicSupervisorSpec):
        limit = "" if node.max_children is None else f", at most {node.max_children}"
        text = f"dynamic_supervisor of {node.template.actor} (max_restarts"
        text += f" {node.max_restarts} within {node.within:g}s{limit}{_decider(node.decider)})"
    elif isinstance(node, PoolSpec):
        text = f"pool of {node.pool.size} {node.actor} ({node.pool.routing}"
        text += f"{_decider(node.pool.decider)})"
    else:
        text = f"worker {node.actor}"
    if not root:
        text += f", {node.restart}"
    if node.shutdown is not None:
        text += f", shutdown {_seconds(node.shutdown)}"
    if not isinstance(node, SupervisorSpec | DynamicSupervisorSpec) and node.subscribe:
        patterns = [
            entry if isinstance(entry, str) else f"{entry.pattern} (durable {entry.durable})"
            for entry in node.subscribe
        ]
        text += f", subscribes to {', '.join(patterns)}"
    return text


def _decider(table: Mapping[str, str]) -> str:
    if not table:
        return ""
    entries = ", ".join(
        f"{reference.removeprefix('builtins:')} {directive}"
        for reference, directive in table.items()
    )
    return f", decider: {entries}"


def _seconds(value: float | str) -> str:
    return "no limit" if value == INFINITY else f"{float(value):g}s"
