"""Which tree spec each system runs: recorded by ``spawn_tree``, kept up to date by each
step ``apply_tree`` completes, so that a reload is diffed against what really runs."""

from __future__ import annotations

import weakref

from actors import ActorSystem
from supervision.config._spec import TreeSpec

__all__ = ["remember_tree", "running_tree"]

_RUNNING: weakref.WeakKeyDictionary[ActorSystem, TreeSpec] = weakref.WeakKeyDictionary()


def remember_tree(system: ActorSystem, spec: TreeSpec) -> None:
    """Record that ``system`` now runs the tree of ``spec``."""
    _RUNNING[system] = spec


def running_tree(system: ActorSystem) -> TreeSpec | None:
    """The spec of the tree ``system`` runs (started by ``spawn_tree``), or None."""
    return _RUNNING.get(system)
