"""Spawning: validating a new actor's name and settings, registering its cell under its
parent, and finding live actors by path. ``ActorSystem`` holds one ``Spawner`` and
delegates ``spawn``, ``lookup`` and ``actors`` to it."""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from actors._core._cell import ActorCell
from actors._core._errors import ActorStopped
from actors._core._messages import Overflow
from actors._core._retry import Retry
from actors._core._state import STOPPING
from actors._core._timers import check_delay
from actors._system._system_bus import BUS_PATH, RUNTIME_NAME, RUNTIME_PREFIX

if TYPE_CHECKING:
    from actors._core._actor import Actor
    from actors._core._ref import ActorRef
    from actors._core._runtime import Runtime

__all__ = ["Spawner", "check_name"]

_NAME = re.compile(r"[^/\s]+")


def check_name(name: object) -> str:
    """``name``, when it can name an actor.

    Raises:
        TypeError: ``name`` is not a ``str``.
        ValueError: it is empty, holds ``/`` or whitespace, or starts with ``$``.
    """
    if not isinstance(name, str):
        raise TypeError(f"actor name must be a str, got {type(name).__name__}")
    if not _NAME.fullmatch(name) or name.startswith("$"):
        raise ValueError(
            f"invalid actor name {name!r}: it must be non-empty, without '/' or whitespace,"
            " and not start with '$' (reserved for generated names)"
        )
    return name


class Spawner:
    """The actors of one system: the top-level ones in spawn order and every live one by
    path, and the spawning that adds to both.

    The public docstrings are on the ``ActorSystem`` methods that delegate here.
    """

    __slots__ = ("_generated_names", "_is_closing", "_runtime", "registry", "top")

    def __init__(self, runtime: Runtime, is_closing: Callable[[], bool]) -> None:
        self._runtime = runtime
        self._is_closing = is_closing
        # Top-level actors in spawn order; every live actor by path (the runtime's own
        # actors, under /system, included). Never rebound: the system and its readers
        # (snapshots, the live view, the cluster node) hold these very dicts.
        self.top: dict[str, ActorCell] = {}
        self.registry: dict[str, ActorCell] = {}
        self._generated_names = itertools.count(1)

    async def spawn(
        self,
        parent: ActorCell | None,
        factory: Callable[[], Actor],
        *,
        name: str | None,
        capacity: int,
        overflow: Overflow,
        shutdown: float | None,
        position: int | None = None,
        retry: Retry | None = None,
        handler_timeout: float | None = None,
    ) -> ActorRef:
        """Start an actor under ``parent`` (``None``: top level); see ``ActorSystem.spawn``
        and ``Context.spawn``. ``position`` re-creates a child in its old place among its
        siblings."""
        runtime = self._runtime
        _ = runtime.loop  # raises RuntimeError off the system's loop
        if self._is_closing():
            raise ActorStopped(f"{runtime!r} is shut down; cannot spawn")
        if not callable(factory):
            raise TypeError(f"factory must be callable (an Actor class), got {factory!r}")
        if not isinstance(overflow, Overflow):
            raise TypeError(f"overflow must be an Overflow member, got {overflow!r}")
        if shutdown is not None:
            shutdown = check_delay("shutdown", shutdown, allow_zero=True)
        if retry is not None and not isinstance(retry, Retry):
            raise TypeError(f"retry must be a Retry or None, got {retry!r}")
        if handler_timeout is not None:
            handler_timeout = check_delay("handler_timeout", handler_timeout, allow_zero=False)
        if parent is not None and parent.state >= STOPPING:
            raise ActorStopped(f"cannot spawn a child of {parent.path}: it is stopping")
        if name is None:
            name = f"${next(self._generated_names)}"
        else:
            check_name(name)
            if parent is None and name == RUNTIME_NAME:
                raise ValueError(
                    f"the top-level name {RUNTIME_NAME!r} is reserved for the runtime's own"
                    f" actors (such as the event bus at {BUS_PATH})"
                )
        siblings = self.top if parent is None else parent.writable_children()
        if name in siblings:
            where = "/" if parent is None else parent.path
            raise ValueError(f"an actor named {name!r} already exists under {where}")
        path = f"/{name}" if parent is None else f"{parent.path}/{name}"
        cell = ActorCell(
            runtime,
            parent,
            name,
            path,
            factory,
            capacity,
            overflow,
            shutdown,
            retry,
            handler_timeout,
        )
        if position is None or position >= len(siblings):
            siblings[name] = cell
        else:
            # Keep start order: a child re-created in place (a supervisor's permanent child
            # that stopped on its own) must still stop before its earlier siblings.
            ordered = list(siblings.items())
            ordered.insert(max(position, 0), (name, cell))
            siblings.clear()
            siblings.update(ordered)
        self.registry[path] = cell
        started = cell.start_incarnation()
        if started is not None:
            try:
                await started
            except asyncio.CancelledError:
                cell.kill()
                raise
        return cell.ref

    def unregister(self, cell: ActorCell) -> None:
        """Forget ``cell``'s path (its cell calls this when it stopped for good)."""
        if self.registry.get(cell.path) is cell:
            del self.registry[cell.path]

    def lookup(self, path: str) -> ActorRef | None:
        """See ``ActorSystem.lookup``."""
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValueError(f"an actor path starts with '/', got {path!r}")
        cell = self.registry.get(path.rstrip("/") or "/")
        return None if cell is None else cell.ref

    def application_actors(self) -> tuple[ActorRef, ...]:
        """See ``ActorSystem.actors``."""
        return tuple(
            cell.ref for cell in self.registry.values() if not cell.path.startswith(RUNTIME_PREFIX)
        )
