"""Reloading the file of ``supervise run``: on SIGHUP, and through its control socket.

``supervise run FILE --control PATH`` listens on a unix socket at ``PATH`` (local only: the
file's permissions decide who may use it, 0600 by default). ``supervise reload --control
PATH`` asks the running process to reload FILE; ``--dry-run`` prints the plan without
applying it. Each request is one line (``reload`` or ``dry-run``); the answer is the plan's
lines (or the problems), then ``exit N``, the code ``supervise reload`` exits with: 0
applied (or planned), 1 a step failed (the tree keeps what was applied), 2 the file is not
valid (nothing changed).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Awaitable, Callable

from actors import ActorSystem, ClusterConfig
from supervision.cli._output import say
from supervision.config._cluster import part_for_node
from supervision.config._error import ConfigError
from supervision.config._tree import load_tree
from supervision.reload._apply import ReloadError, apply_tree, plan_reload

__all__ = ["Reloader", "ignore_sighup_until_served", "request_reload"]


class Reloader:
    """Reloads ``file`` into ``system``, one reload at a time."""

    def __init__(self, system: ActorSystem, file: str, cluster: ClusterConfig | None) -> None:
        self.system = system
        self.file = file
        self.cluster = cluster
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[tuple[int, list[str]]]] = set()

    def on_sighup(self) -> None:
        """The SIGHUP handler: reload in a task of its own."""
        say(f"SIGHUP: reloading {self.file}")
        task = asyncio.ensure_future(self.reload(dry_run=False))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def reload(self, *, dry_run: bool) -> tuple[int, list[str]]:
        """Load the file again and apply it (or only plan it); returns the exit code and
        the lines to show. Reported on stdout and stderr as it goes."""
        async with self._lock:
            try:
                spec = load_tree(self.file)
                if self.cluster is not None:
                    spec = part_for_node(spec, self.cluster.node, source=self.file)
                plan = plan_reload(self.system, spec)
                if dry_run:
                    return 0, plan.lines()
                await apply_tree(self.system, spec)
            except ConfigError as error:
                print(error, file=sys.stderr, flush=True)
                count = len(error.errors)
                say(
                    f"reload of {self.file} refused, nothing changed"
                    f" ({count} problem{'s' if count != 1 else ''}, on stderr)"
                )
                return 2, str(error).splitlines()
            except ReloadError as error:
                cause = error.__cause__
                detail = f"{type(cause).__name__}: {cause}" if cause is not None else ""
                say(f"reload of {self.file} failed: {error} ({detail})", sys.stderr)
                applied = [f"applied  {change.line()}" for change in error.applied]
                return 1, [*applied, f"failed   {error.step.line()}: {detail}"]
            lines = plan.lines()
            say(f"reloaded {self.file}: {lines[-1]}")
            return 0, lines

    async def serve(self, path: str) -> Callable[[], Awaitable[None]]:
        """Listen on the unix socket ``path``; return how to stop (which removes it)."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)  # left by a process that did not stop cleanly
        server = await asyncio.start_unix_server(self._client, path)
        os.chmod(path, 0o600)
        say(f"listening for reloads on {path}")

        async def close() -> None:
            server.close()
            await server.wait_closed()
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)

        return close

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = (await reader.readline()).decode().strip()
            if request in ("reload", "dry-run"):
                code, lines = await self.reload(dry_run=request == "dry-run")
            else:
                code, lines = 2, [f"unknown request {request!r}: expected reload or dry-run"]
            writer.write("".join(f"{line}\n" for line in [*lines, f"exit {code}"]).encode())
            await writer.drain()
        finally:
            writer.close()


def request_reload(path: str, *, dry_run: bool) -> int:
    """``supervise reload``: ask the process listening on ``path`` to reload its file (or
    to print the plan), print its answer, return its exit code (1 when it cannot be
    reached)."""

    async def ask() -> int:
        try:
            reader, writer = await asyncio.open_unix_connection(path)
        except OSError as error:
            say(f"cannot reach a running tree at {path}: {error.strerror or error}", sys.stderr)
            return 1
        writer.write(b"dry-run\n" if dry_run else b"reload\n")
        await writer.drain()
        code = 1
        while line := (await reader.readline()).decode():
            if line.startswith("exit "):
                code = int(line.split()[1])
            else:
                print(line, end="", flush=True)
        writer.close()
        await writer.wait_closed()
        return code

    return asyncio.run(ask())


def ignore_sighup_until_served() -> None:
    """Until the tree runs, a SIGHUP (whose default ends the process) is ignored."""
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
