"""``tree_service``: an ``actors.asgi.ActorService`` running a tree from a file."""

from __future__ import annotations

import os
from collections.abc import Callable

from actors import ActorSystem
from actors.asgi import ActorService
from supervision.config._build import create_system, spawn_tree
from supervision.config._spec import INFINITY
from supervision.config._tree import load_tree

__all__ = ["tree_service"]


def tree_service(
    path: str | os.PathLike[str],
    *,
    on_failure: Callable[[BaseException], None] | None = None,
) -> ActorService:
    """An ``ActorService`` that starts the tree declared in the file at ``path``.

    The file is read and checked now, at import time, so a broken file stops the service
    before the server listens; the system (named and sized by the file's ``[system]``
    table) is created and the tree spawned at lifespan startup, and shut down within the
    file's ``system.shutdown`` time. Like ``supervise run``, the service exits with status 1
    when the root supervisor gives up (``on_failure`` overrides that).

    Raises:
        ConfigError: the file has problems (every one, located).
    """
    spec = load_tree(path)
    shutdown = spec.system.shutdown
    timeout = None if shutdown == INFINITY else float(shutdown)

    async def setup(system: ActorSystem) -> None:
        await spawn_tree(system, spec)

    return ActorService(
        setup,
        system_factory=lambda: create_system(spec),
        shutdown_timeout=timeout,
        on_failure=on_failure,
    )
