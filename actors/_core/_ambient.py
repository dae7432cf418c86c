"""Metadata that code outside any actor wants on every message it sends: the correlation id
of the HTTP request being handled, the trace context of its span.

Inside a handler a message inherits the handled message's metadata; outside one (a route, a
thread, a CLI) there is nothing to inherit, so an integration sets ``AMBIENT`` for the
duration of a request and the envelope builder reads it there, and only there: messages sent
from handlers (the hot path) never look at it.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["AMBIENT", "Ambient", "adjust_active", "correlation_scope"]

# Invariant: the number of correlation scopes open (in any thread or task), plus one while
# tracing is enabled. While it is 0 a message sent outside any handler has nothing ambient
# to carry, and the envelope builders skip looking: one global read on that path instead of
# a context-variable lookup and a hook check.
active = 0
_active_lock = threading.Lock()  # scopes open and close in worker threads too


def adjust_active(delta: int) -> None:
    """Count a scope (or tracing) in (``+1``) or out (``-1``)."""
    global active
    with _active_lock:
        active += delta


class Ambient:
    """What messages sent outside any handler carry (``None`` fields: nothing set)."""

    __slots__ = ("correlation_id", "trace")

    def __init__(self, correlation_id: int | str | None, trace: dict[str, str] | None) -> None:
        self.correlation_id = correlation_id
        # A W3C trace-context carrier ({"traceparent": ..., "tracestate": ...}), or None.
        self.trace = trace

    def __repr__(self) -> str:
        return f"<Ambient correlation_id={self.correlation_id!r} trace={self.trace!r}>"


AMBIENT: contextvars.ContextVar[Ambient | None] = contextvars.ContextVar(
    "actors_ambient", default=None
)


@contextmanager
def correlation_scope(correlation_id: int | str) -> Iterator[None]:
    """Give every message sent outside actors within the ``with`` block this correlation id.

    For code that is not an actor's handler (an HTTP route, a worker thread, a CLI command):
    each ``tell``, ``ask`` and ``publish`` made there, and so everything the receiving actors
    send while handling those messages, carries ``correlation_id``; log lines written in the
    block carry it too. Inside a handler the handled message's id still wins. Scopes nest;
    the scope is a context variable, so it follows the task (and threads started with a
    copied context), not the whole process. (Log lines carry it through the processor
    ``actors.logging.configure`` installs.) ``actors.asgi.RequestContext`` opens one per
    request from its request-id header.

    Raises:
        TypeError: ``correlation_id`` is not an ``int`` or a ``str``.
    """
    if isinstance(correlation_id, bool) or not isinstance(correlation_id, int | str):
        raise TypeError(f"correlation_id must be an int or a str, got {correlation_id!r}")
    outer = AMBIENT.get()
    token = AMBIENT.set(Ambient(correlation_id, None if outer is None else outer.trace))
    adjust_active(1)
    try:
        yield
    finally:
        adjust_active(-1)
        AMBIENT.reset(token)
