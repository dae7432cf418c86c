"""The diff between a running tree's spec and a new one: a pure function, and its plan.

Children are matched by name under the same parent. A child under another parent is
another path, so another actor: it is removed from its old place and added at its new one.
A removed and an added sibling that differ only by name look renamed; they are a remove and
an add too (a name is an identity: refs, paths and metrics hang on it), and the plan says
so. What each change does when applied:

- ``add``: the child (a whole subtree for a supervisor) starts at its place;
- ``remove``: the child stops gracefully within its shutdown time;
- ``update``: settings changed in place, the instance and its queued messages kept
  (restart type, shutdown, mailbox, subscriptions, a pool's size, a supervisor's strategy,
  budget, backoff and decider, a dynamic supervisor's template and limit);
- ``restart``: the child needs a new instance (actor class or arguments, a pool's routing,
  key, routee budget, routee mailbox, or its routees' retry or handler_timeout, a durable
  subscription); its ref and queued messages survive;
- ``replace``: the child changed kind: stopped, and a new one started at its place;
- ``move``: the child takes another place in its supervisor's start order; nothing restarts.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal, TypeAlias

import attrs
import msgspec

from supervision.config._spec import (
    ChildNode,
    DynamicSupervisorSpec,
    PoolSpec,
    SupervisorSpec,
    TreeSpec,
    WorkerSpec,
)

__all__ = ["Action", "ReloadChange", "ReloadPlan", "diff_trees"]

Action: TypeAlias = Literal["settings", "remove", "move", "add", "update", "restart", "replace"]

# The fields of each kind whose change needs a new instance; every other field changes in
# place. A supervisor's children are diffed one by one, never as a field.
_NEEDS_RESTART: dict[type[msgspec.Struct], frozenset[str]] = {
    WorkerSpec: frozenset({"actor", "args"}),
    PoolSpec: frozenset(
        {
            "actor",
            "args",
            "pool.routing",
            "pool.key",
            "pool.max_restarts",
            "pool.within",
            "pool.decider",
            "pool.routee_mailbox",
            # The pool hands them to the routees it spawns: a new pool instance applies them.
            "retry",
            "handler_timeout",
        }
    ),
    SupervisorSpec: frozenset(),
    DynamicSupervisorSpec: frozenset(),
}
_OWN_SETTINGS = ("strategy", "max_restarts", "within", "backoff", "decider")
_NESTED = ("pool", "mailbox", "template", "backoff")


@attrs.frozen
class ReloadChange:
    """One step of a reload plan.

    Attributes:
        action: ``settings`` (a supervisor's own strategy, budget, backoff or decider: the
            root's, or before its children's steps), ``remove``, ``move``, ``add``,
            ``update`` (in place), ``restart`` (a new instance, same ref and mailbox) or
            ``replace`` (another kind: remove + add at the same place).
        path: the child's path (``/shop/orders``).
        fields: the changed fields, dotted (``mailbox.capacity``); empty for add and remove.
        note: why an add or remove is one (``looks renamed from /shop/a``), or empty.
    """

    action: Action
    path: str
    fields: tuple[str, ...] = ()
    note: str = ""

    def line(self) -> str:
        """The change as the plan prints it: ``restart /shop/orders (args)``."""
        text = f"{self.action:<8} {self.path}"
        if self.fields:
            text += f" ({', '.join(self.fields)})"
        if self.note:
            text += f": {self.note}"
        return text


@attrs.frozen
class ReloadPlan:
    """What a reload changes, in the order ``apply_tree`` applies it.

    Attributes:
        changes: the steps, supervisor by supervisor from the root down: its own settings,
            its removed children (reverse start order), the moves, then its children in
            declaration order (added, updated, restarted, replaced); then, in order, those
            children that are supervisors in both trees.
        ignored: ``[system]`` and ``[cluster]`` fields that changed but only take effect
            when the process starts again (``system.blocking_threads``).
        root_renamed: the new root's name when it differs from the running root's (a
            reload cannot rename the root: ``apply_tree`` refuses it).
    """

    changes: tuple[ReloadChange, ...]
    ignored: tuple[str, ...] = ()
    root_renamed: str | None = None

    @property
    def is_empty(self) -> bool:
        """Whether applying the plan changes nothing."""
        return not self.changes

    def summary(self) -> dict[str, int]:
        """How many changes of each action, for the ``tree.reloaded`` log line and the
        metrics: ``{"add": 1, "update": 2}`` (actions with none are left out)."""
        counts: dict[str, int] = {}
        for change in self.changes:
            counts[change.action] = counts.get(change.action, 0) + 1
        return counts

    def lines(self) -> list[str]:
        """The plan as ``supervise reload --dry-run`` prints it: one line per change, then
        the ignored fields and a summary line."""
        lines = [change.line() for change in self.changes]
        lines.extend(f"ignored  {name}: takes effect on the next start" for name in self.ignored)
        if self.root_renamed is not None:
            lines.append(f"refused  the root cannot be renamed (to {self.root_renamed!r})")
        counts = self.summary()
        total = ", ".join(f"{count} {action}" for action, count in counts.items())
        lines.append(f"{len(self.changes)} change{'s' if len(self.changes) != 1 else ''}")
        if total:
            lines[-1] += f" ({total})"
        return lines


def diff_trees(running: TreeSpec, new: TreeSpec) -> ReloadPlan:
    """The plan that turns a tree running from ``running`` into one running from ``new``
    (both as ``load_tree`` returns them). Pure: nothing is started or read."""
    ignored = tuple(
        f"system.{name}" for name in _changed(running.system, new.system, prefix="")
    ) + (("cluster",) if running.cluster != new.cluster else ())
    # The root has no supervisor to change these in place; they hold from the next start.
    ignored += tuple(
        f"tree.{name}"
        for name in _changed(running.tree, new.tree, prefix="", only=("restart", "shutdown"))
        + _changed(running.tree.mailbox, new.tree.mailbox, prefix="mailbox.")
    )
    if running.tree.name != new.tree.name:
        return ReloadPlan((), ignored, root_renamed=new.tree.name)
    path = f"/{new.tree.name}"
    changes: list[ReloadChange] = []
    own = _changed(running.tree, new.tree, prefix="", only=_OWN_SETTINGS)
    if own:
        changes.append(ReloadChange("settings", path, own))
    moved_from = _moved_from(running.tree, new.tree, path)
    changes.extend(_supervisor_steps(running.tree, new.tree, path, moved_from))
    return ReloadPlan(tuple(changes), ignored)


def _supervisor_steps(
    old: SupervisorSpec, new: SupervisorSpec, path: str, moved_from: dict[str, str]
) -> Iterator[ReloadChange]:
    before = {child.name: child for child in old.children}
    after = {child.name: child for child in new.children}
    removed = [child for child in old.children if child.name not in after]
    added = [child for child in new.children if child.name not in before]
    renamed = _renamed_pairs(removed, added)
    moved_to = {source: target for target, source in moved_from.items()}
    for child in reversed(removed):
        child_path = f"{path}/{child.name}"
        note = ""
        if child_path in moved_to:
            note = f"moves to {moved_to[child_path]} (another path: remove + add)"
        elif child.name in renamed.values():
            target = next(name for name, source in renamed.items() if source == child.name)
            note = f"looks renamed to {path}/{target} (a new name: remove + add)"
        yield ReloadChange("remove", child_path, (), note)
    kept_old = [child.name for child in old.children if child.name in after]
    kept_new = [child.name for child in new.children if child.name in before]
    stay = _longest_common_subsequence(kept_old, kept_new)
    for name in kept_new:
        if name not in stay:
            yield ReloadChange("move", f"{path}/{name}")
    nested: list[tuple[SupervisorSpec, SupervisorSpec, str]] = []
    for child in new.children:
        child_path = f"{path}/{child.name}"
        previous = before.get(child.name)
        if previous is None:
            note = ""
            if child_path in moved_from:
                note = f"moved from {moved_from[child_path]} (another path: remove + add)"
            elif child.name in renamed:
                note = f"looks renamed from {path}/{renamed[child.name]} (a new name: remove + add)"
            yield ReloadChange("add", child_path, (), note)
            continue
        change = _child_change(previous, child, child_path)
        if change is not None:
            yield change
        if isinstance(previous, SupervisorSpec) and isinstance(child, SupervisorSpec):
            nested.append((previous, child, child_path))
    for previous_node, node, node_path in nested:
        yield from _supervisor_steps(previous_node, node, node_path, moved_from)


def _child_change(old: ChildNode, new: ChildNode, path: str) -> ReloadChange | None:
    if type(old) is not type(new):
        return ReloadChange("replace", path, ("kind",), f"{_kind(old)} -> {_kind(new)}")
    changed = _changed(old, new, prefix="", skip=("children",))
    if not changed:
        return None
    restart = _NEEDS_RESTART[type(new)]
    action: Action = "restart" if any(name in restart for name in changed) else "update"
    if "subscribe" in changed and _durables(old) != _durables(new):
        action = "restart"  # a durable subscription is made by the actor's start
    return ReloadChange(action, path, changed)


def _changed(
    old: msgspec.Struct,
    new: msgspec.Struct,
    *,
    prefix: str,
    only: tuple[str, ...] | None = None,
    skip: tuple[str, ...] = (),
) -> tuple[str, ...]:
    """The dotted names of the fields that differ, nested settings tables field by field."""
    names: list[str] = []
    for name in old.__struct_fields__:
        if name in skip or (only is not None and name not in only):
            continue
        before, after = getattr(old, name), getattr(new, name)
        if before == after:
            continue
        if (
            name in _NESTED
            and isinstance(before, msgspec.Struct)
            and isinstance(after, msgspec.Struct)
            and type(before) is type(after)
        ):
            names.extend(_changed(before, after, prefix=f"{prefix}{name}."))
        else:
            names.append(prefix + name)
    return tuple(names)


def _durables(node: ChildNode) -> list[object]:
    """The durable (JetStream) entries of a node's ``subscribe`` list."""
    return [entry for entry in getattr(node, "subscribe", ()) if not isinstance(entry, str)]


def _kind(node: ChildNode) -> str:
    return type(node).__struct_config__.tag  # type: ignore[return-value]


def _renamed_pairs(removed: list[ChildNode], added: list[ChildNode]) -> dict[str, str]:
    """Added name -> removed name, for siblings equal but for their name (first match)."""
    pairs: dict[str, str] = {}
    free = list(removed)
    for child in added:
        for candidate in free:
            if type(candidate) is type(child) and _without_name(candidate) == _without_name(child):
                pairs[child.name] = candidate.name
                free.remove(candidate)
                break
    return pairs


def _without_name(node: ChildNode) -> ChildNode:
    return msgspec.structs.replace(node, name="")


def _moved_from(old: SupervisorSpec, new: SupervisorSpec, path: str) -> dict[str, str]:
    """New path -> old path, for a child that left one supervisor for another under the
    same name and with the same definition (reported as such; applied as remove + add)."""
    before = dict(_paths(old, path))
    after = dict(_paths(new, path))
    by_definition: dict[tuple[str, bytes], list[str]] = {}
    for old_path, node in before.items():
        if old_path not in after:
            by_definition.setdefault((node.name, msgspec.json.encode(node)), []).append(old_path)
    moved: dict[str, str] = {}
    for new_path, node in after.items():
        if new_path in before:
            continue
        sources = by_definition.get((node.name, msgspec.json.encode(node)))
        if sources:
            moved[new_path] = sources.pop(0)
    return moved


def _paths(node: SupervisorSpec, path: str) -> Iterator[tuple[str, ChildNode]]:
    for child in node.children:
        child_path = f"{path}/{child.name}"
        yield child_path, child
        if isinstance(child, SupervisorSpec):
            yield from _paths(child, child_path)


def _longest_common_subsequence(first: list[str], second: list[str]) -> set[str]:
    """The names of a longest common subsequence of two orderings of the same names: those
    keep their place, the others move."""
    rows, columns = len(first), len(second)
    table = [[0] * (columns + 1) for _ in range(rows + 1)]
    for i in range(rows - 1, -1, -1):
        for j in range(columns - 1, -1, -1):
            if first[i] == second[j]:
                table[i][j] = table[i + 1][j + 1] + 1
            else:
                table[i][j] = max(table[i + 1][j], table[i][j + 1])
    kept: set[str] = set()
    i = j = 0
    while i < rows and j < columns:
        if first[i] == second[j]:
            kept.add(first[i])
            i += 1
            j += 1
        elif table[i + 1][j] >= table[i][j + 1]:
            i += 1
        else:
            j += 1
    return kept
