"""A supervisor's latest decisions (restarts, escalations received, giving up), bounded.

``Supervisor.introspect()`` reports them, and the live view's timeline reads them. Each
entry is numbered from one counter shared by every supervisor of the process, so a reader
can tell which entries it has already seen, across restarts of the supervisor too.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from typing import Any

__all__ = ["DecisionHistory"]

_numbers = itertools.count(1)


class DecisionHistory:
    """The latest ``size`` decisions of one supervisor, oldest first."""

    def __init__(self, supervisor: str, size: int = 32) -> None:
        self._supervisor = supervisor
        self._entries: deque[dict[str, Any]] = deque(maxlen=size)

    def record(self, kind: str, child: str, error: BaseException | None) -> None:
        """Remember a decision of ``kind`` about ``child`` (its path), caused by ``error``."""
        self._entries.append(
            {
                "seq": next(_numbers),
                "at": time.time(),
                "kind": kind,
                "supervisor": self._supervisor,
                "child": child,
                "error": None if error is None else f"{type(error).__name__}: {error}",
            }
        )

    def entries(self) -> list[dict[str, Any]]:
        """Copies of the entries, oldest first (JSON-ready)."""
        return [dict(entry) for entry in self._entries]
