"""SIGINT and SIGTERM for ``supervise run``, from the moment the command runs (once Python
and the ``actors`` and ``supervision`` packages are imported).

The first signal asks for a graceful stop, a second one exits at once (``128 + signal``),
whatever the stop is waiting for. Before the event loop runs, while the file is read and the
modules it names are imported, the handlers are the process's own: a signal then interrupts
the loading (nothing has started yet, so there is nothing to stop) with ``StopRequested``.
Once the loop runs they are the loop's: a signal sets ``requested``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable
from types import FrameType

__all__ = ["Signals", "StopRequested"]

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopRequested(BaseException):
    """A signal arrived while the tree was being loaded. A ``BaseException``, like
    ``KeyboardInterrupt``, so that the code being imported does not catch it by mistake."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class Signals:
    """The command's signal handling; ``say`` prints a status line (``say(text, stream)``)."""

    def __init__(self, say: Callable[..., None]) -> None:
        self._say = say
        self.received: int | None = None
        self.loading = False
        self.requested: asyncio.Event | None = None

    def install(self) -> None:
        """Handle the signals in the process (before any event loop runs)."""
        for signum in SIGNALS:
            signal.signal(signum, self._on_process_signal)

    def attach(self, loop: asyncio.AbstractEventLoop) -> asyncio.Event:
        """Handle the signals in ``loop`` from now on; returns ``requested``, already set when
        a signal arrived before."""
        self.requested = asyncio.Event()
        if self.received is not None:
            self.requested.set()
        for signum in SIGNALS:
            try:
                loop.add_signal_handler(signum, self._on_signal, signum)
            except NotImplementedError:  # an event loop without signal support (Windows)
                signal.signal(
                    signum, lambda number, _: loop.call_soon_threadsafe(self._on_signal, number)
                )
        return self.requested

    def _on_process_signal(self, signum: int, frame: FrameType | None) -> None:
        self._on_signal(signum)
        if self.loading:
            raise StopRequested(signum)

    def _on_signal(self, signum: int) -> None:
        name = signal.Signals(signum).name
        if self.received is not None:
            self._say(f"{name} again: stopping at once", sys.stderr)
            sys.stdout.flush()
            os._exit(128 + signum)
        self.received = signum
        self._say(f"{name}: shutting down gracefully (send it again to stop at once)")
        if self.requested is not None:
            self.requested.set()
