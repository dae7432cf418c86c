"""Ref arguments in configuration files: ``args = { ledger = { ref = "../ledger" } }``.

A child's argument whose value is a table with the one key ``ref`` names another node of the
tree by its path: absolute (``"/shop/payments/ledger"``, starting at the root's name) or
relative to the node whose ``args`` hold it, with ``..`` for its parent (so ``"../ledger"``
is a sibling, and ``"ledger"`` would be a child of the node itself). For a pool, the node is
the pool (its routees share its ``args``); for a dynamic supervisor's ``template``, the
dynamic supervisor. At start each becomes a ``PathRef`` to that path, which follows the
actor living there across restarts of its subtree.

Pure functions here; ``_validate`` reports the problems, ``_build`` makes the
``PathRef``s.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from supervision.config._error import ConfigProblem
from supervision.config._spec import (
    ChildNode,
    DynamicSupervisorSpec,
    PoolSpec,
    SupervisorSpec,
    TreeSpec,
)

__all__ = [
    "REF_KEY",
    "BadRef",
    "absolute_path",
    "is_ref",
    "node_paths",
    "ref_problem",
    "ref_suggestion",
    "refs_of",
    "relative_path",
]

REF_KEY = "ref"


class BadRef(ValueError):
    """A ref path that cannot name a node (internal): ``str(error)`` says why."""


def is_ref(value: object) -> bool:
    """Whether an argument's value is a ref table: a table with the one key ``ref``."""
    return isinstance(value, dict) and len(value) == 1 and REF_KEY in value


def refs_of(args: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """The ``(argument, path text)`` of each ref among ``args``."""
    for key, value in args.items():
        if is_ref(value):
            yield key, value[REF_KEY]


def absolute_path(base: str, text: object) -> str:
    """The absolute path ``text`` names, read from the node at ``base``.

    Raises BadRef for a value that is not a path: not a non-empty string, an empty segment
    (``a//b``), or more ``..`` than there are levels above ``base``.
    """
    if not isinstance(text, str) or not text.strip("/"):
        raise BadRef("a path: '/root/child', or '../sibling' relative to this node")
    parts = [] if text.startswith("/") else base.strip("/").split("/")
    segments = text.strip("/").split("/")
    for segment in segments:
        if segment == "..":
            if not parts:
                raise BadRef(f"more '..' than levels above {base}")
            parts.pop()
        elif segment == ".":
            continue
        elif not segment or any(character.isspace() for character in segment):
            raise BadRef("path segments that are names: not empty, without whitespace")
        else:
            parts.append(segment)
    if not parts:
        raise BadRef("the path of an actor, not of the system's root")
    return "/" + "/".join(parts)


def relative_path(base: str, target: str) -> str:
    """``target`` written relative to the node at ``base`` (``../ledger``)."""
    here = base.strip("/").split("/")
    there = target.strip("/").split("/")
    common = 0
    while common < min(len(here), len(there)) and here[common] == there[common]:
        common += 1
    ups = [".."] * (len(here) - common)
    return "/".join(ups + there[common:]) or "."


def ref_suggestion(written: str, base: str, resolved: str, known: Iterable[str]) -> str:
    """A did-you-mean for a ref to ``resolved`` that names no node, in the style written."""
    close = difflib.get_close_matches(resolved, list(known), n=1, cutoff=0.6)
    if not close:
        return ""
    suggestion = close[0] if written.startswith("/") else relative_path(base, close[0])
    return f"did you mean {suggestion!r}?"


def ref_problem(
    location: str, base: str, written: object, shown: str, nodes: Mapping[str, str]
) -> ConfigProblem | None:
    """The problem of the ref ``written`` (shown as ``shown``) at ``location`` in the args of
    the node at ``base``, or ``None`` when it names one of ``nodes`` (path -> what the node
    is: ``"a supervisor"``, ``"a pool"``, ...)."""
    expected = f"the path of a node of the tree: absolute, or relative to {base}"
    try:
        target = absolute_path(base, written)
    except BadRef as error:
        return ConfigProblem(location, expected, shown, str(error))
    if target in nodes:
        return None
    assert isinstance(written, str)  # absolute_path accepts only strings
    if written != target:
        shown += f" ({target})"
    owner = target.rpartition("/")[0]
    while owner and owner not in nodes:
        owner = owner.rpartition("/")[0]
    if owner and nodes[owner] != "a supervisor":
        hint = (
            f"{owner} is {nodes[owner]}: the actors it starts are not nodes of the file and"
            " have no fixed path"
        )
    else:
        hint = ref_suggestion(written, base, target, nodes)
    return ConfigProblem(location, expected, shown, hint)


def node_paths(spec: TreeSpec) -> dict[str, tuple[str, str]]:
    """The path of every node of a tree and what it is (``"a pool"``), by the node's
    location in the document."""
    root = spec.tree
    found = {"$.tree": (f"/{root.name}", _what(root))}
    _walk(root, f"/{root.name}", "$.tree", found)
    return found


def _what(node: ChildNode) -> str:
    if isinstance(node, SupervisorSpec):
        return "a supervisor"
    if isinstance(node, DynamicSupervisorSpec):
        return "a dynamic supervisor"
    return "a pool" if isinstance(node, PoolSpec) else "a worker"


def _walk(
    node: SupervisorSpec, path: str, location: str, found: dict[str, tuple[str, str]]
) -> None:
    for index, child in enumerate(node.children):
        child_path = f"{path}/{child.name}"
        child_location = f"{location}.children[{index}]"
        found[child_location] = (child_path, _what(child))
        if isinstance(child, SupervisorSpec):
            _walk(child, child_path, child_location, found)
