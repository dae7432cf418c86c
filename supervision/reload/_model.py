"""The running tree's spec as a reload changes it, one completed step at a time.

Nodes are kept by path and each supervisor's children by name in start order, so that a
step can be recorded alone; ``spec()`` writes the tree back. A reload that fails midway
records the steps it completed, and the next one is diffed against that.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from supervision.config._spec import ChildNode, SupervisorSpec, TreeSpec
from supervision.reload._diff import ReloadChange

__all__ = ["RunningModel", "flatten"]

Node = SupervisorSpec | ChildNode


def flatten(node: Node, path: str, nodes: dict[str, Node], order: dict[str, list[str]]) -> None:
    """Record ``node`` at ``path`` and, for a supervisor, its subtree and children's order."""
    nodes[path] = node
    if isinstance(node, SupervisorSpec):
        order[path] = [child.name for child in node.children]
        for child in node.children:
            flatten(child, f"{path}/{child.name}", nodes, order)


class RunningModel:
    """The tree a system runs, as a reload's completed steps leave it."""

    def __init__(self, running: TreeSpec) -> None:
        self._running = running
        self.root = f"/{running.tree.name}"
        self.nodes: dict[str, Node] = {}
        self.order: dict[str, list[str]] = {}
        flatten(running.tree, self.root, self.nodes, self.order)

    def record(self, change: ReloadChange, node: Node | None, order: Sequence[str]) -> None:
        """Record that ``change`` was applied; ``node`` is the child's (or supervisor's)
        new spec, ``order`` its supervisor's children in start order afterwards."""
        path = change.path
        parent, _, name = path.rpartition("/")
        if change.action == "remove":
            self._drop(path)
            self.order[parent].remove(name)
            return
        if change.action == "move":
            self.order[parent] = list(order)
            return
        assert node is not None
        if change.action in ("add", "replace"):
            self._drop(path)
            flatten(node, path, self.nodes, self.order)
            self.order[parent] = list(order)
        else:  # settings, update, restart: the node's own fields; its children stay
            self.nodes[path] = node

    def order_after(self, change: ReloadChange, new_order: dict[str, list[str]]) -> tuple[str, ...]:
        """The start order of ``change``'s supervisor once it is applied: its children now
        (with the one an add or replace brings), in the new tree's declaration order."""
        parent, _, name = change.path.rpartition("/")
        present = set(self.order.get(parent, ()))
        if change.action in ("add", "replace"):
            present.add(name)
        return tuple(child for child in new_order.get(parent, ()) if child in present)

    def spec(self) -> TreeSpec:
        """The running tree as a spec (``[system]`` and ``[cluster]`` as it started)."""
        tree = self._build(self.root)
        assert isinstance(tree, SupervisorSpec)
        return msgspec.structs.replace(self._running, tree=tree)

    def _build(self, path: str) -> Node:
        node = self.nodes[path]
        if not isinstance(node, SupervisorSpec):
            return node
        children = tuple(self._build(f"{path}/{name}") for name in self.order[path])
        return msgspec.structs.replace(node, children=children)

    def _drop(self, path: str) -> None:
        inside = path + "/"
        for known in [p for p in self.nodes if p == path or p.startswith(inside)]:
            del self.nodes[known]
            self.order.pop(known, None)
