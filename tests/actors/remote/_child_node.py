"""A cluster node in a child process (one of the ``_*_process.py`` modules here), for the
fault tests: started on a test's nats-server, read line by line, signalled, killed."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

__all__ = ["ChildNode"]

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))


class ChildNode:
    """``python -m tests.actors.remote.<module> *args`` from the repository's root, its
    standard output read line by line (standard error discarded)."""

    def __init__(self, module: str, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", f"tests.actors.remote.{module}", *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )

    async def line(self, starts: str, timeout: float = 20.0) -> str:
        """The next line of the node's output that starts with ``starts``; AssertionError
        when none came within ``timeout`` seconds or the output ended."""
        assert self.process.stdout is not None
        stdout = self.process.stdout
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            remaining = deadline - loop.time()
            text = await asyncio.wait_for(loop.run_in_executor(None, stdout.readline), remaining)
            if not text:
                break
            if text.startswith(starts):
                return text.strip()
        raise AssertionError(f"the node process printed no {starts!r} line in time")

    def signal(self, number: int) -> None:
        self.process.send_signal(number)

    def close(self) -> None:
        """Kill the node if it still runs, and reap it."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)
        if self.process.stdout is not None:
            self.process.stdout.close()
