"""The two places where tracing plugs into the kernel, ``None`` until ``actors.tracing`` is
enabled, so that the runtime imports and pays for nothing of OpenTelemetry otherwise.

- ``trace_source()``: the trace context (a W3C carrier) for a message sent outside any
  handler, read by the envelope builder only there.
- ``wrap_receive(cell, receive, mode)``: wraps an incarnation's ``receive`` once, when the
  incarnation starts, to make each handled message a span; ``mode`` says whether the
  wrapper must be a coroutine function (0) or a plain function (1 inline, 2 in a thread).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from actors._core._cell import ActorCell

__all__ = ["trace_source", "wrap_receive"]

trace_source: Callable[[], dict[str, str] | None] | None = None
wrap_receive: Callable[[ActorCell, Callable[[Any], Any], int], Callable[[Any], Any]] | None = None
