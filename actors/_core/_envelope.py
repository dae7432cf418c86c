"""The envelope a message travels in: the message plus its metadata."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import msgspec

from actors._core import _ambient, _trace_hooks
from actors._core._ambient import AMBIENT
from actors._core._state import current_cell

__all__ = ["NOT_TIMED", "Envelope", "new_envelope", "next_message_id", "outside_envelope"]

# The enqueued_at of a message that is not in the timing sample (loop time can be 0.0).
NOT_TIMED = -1.0

# Ids come from one process-wide counter: unique, ordered and far cheaper than uuid4().
next_message_id = itertools.count(1).__next__


class Envelope(msgspec.Struct):
    """One message on its way to (or inside) an actor.

    A msgspec Struct rather than a Python class: one is built per message on the hot path,
    and a Struct's C-level constructor costs less than half of a slotted class's ``__init__``.
    It stays mutable and tracked by the garbage collector (messages may form cycles).

    Fields:
        reply: the asker's future; ``None`` for a tell. Whoever finishes the envelope
            (handler returned, handler raised, actor stopped) completes it unless it is
            already done.
        causation_id: the id of the message whose handler sent this one (``None`` from
            outside any handler).
        enqueued_at: loop time when the mailbox accepted it, for the sampled 1 in
            ``TIMING_SAMPLE`` messages; ``NOT_TIMED`` for the others.
        trace: the W3C trace context it travels with (a ``traceparent`` carrier dict), or
            ``None``: inherited like the correlation id, set only when tracing is on.
        deadline: loop time after which nobody waits for the outcome (an ask's deadline,
            inherited by what its handler sends), or ``None``. Past it, the message is
            dead-lettered (``expired``) instead of handled.
        errors: the errors of its failed attempts so far, oldest first, once a ``Retry``
            has held it; ``None`` before its first failure.
    """

    message: Any
    sender: Any  # ActorRef | None
    reply: Any  # asyncio.Future[Any] | None
    message_id: int
    correlation_id: int | str
    causation_id: int | None
    enqueued_at: float
    topic: str | None = None
    trace: Any = None  # dict[str, str] | None
    deadline: float | None = None
    errors: Any = None  # list[BaseException] | None

    def __repr__(self) -> str:
        return f"<Envelope #{self.message_id} {type(self.message).__name__}>"


def new_envelope(
    message: Any, reply: asyncio.Future[Any] | None, correlation_id: int | str | None
) -> Envelope:
    """Wrap a message, inheriting sender, correlation, causation and deadline from the
    handler it is sent from (found through ``current_cell``, set once per actor task)."""
    message_id = next_message_id()
    sender_cell = current_cell.get()
    if sender_cell is None:
        if _ambient.active and (AMBIENT.get() is not None or _trace_hooks.trace_source is not None):
            return outside_envelope(message, reply, message_id, correlation_id)
        return Envelope(
            message,
            None,
            reply,
            message_id,
            message_id if correlation_id is None else correlation_id,
            None,
            NOT_TIMED,
        )
    handling = sender_cell.current
    if handling is None:
        causation = trace = deadline = None
        correlation = message_id if correlation_id is None else correlation_id
    else:
        causation = handling.message_id
        correlation = handling.correlation_id if correlation_id is None else correlation_id
        trace = handling.trace
        deadline = handling.deadline
    return Envelope(
        message,
        sender_cell.ref,
        reply,
        message_id,
        correlation,
        causation,
        NOT_TIMED,
        None,
        trace,
        deadline,
    )


def outside_envelope(
    message: Any,
    reply: asyncio.Future[Any] | None,
    message_id: int,
    correlation_id: int | str | None,
) -> Envelope:
    """The envelope of a message sent outside any handler while an integration set ambient
    metadata (``actors.correlation_scope``: its correlation id, unless one is given) or
    tracing is enabled (the caller's current span becomes the parent)."""
    ambient = AMBIENT.get()
    trace = None
    if ambient is not None:
        trace = ambient.trace
        if correlation_id is None:
            correlation_id = ambient.correlation_id
    source = _trace_hooks.trace_source
    if trace is None and source is not None:
        trace = source()
    return Envelope(
        message,
        None,
        reply,
        message_id,
        message_id if correlation_id is None else correlation_id,
        None,
        NOT_TIMED,
        None,
        trace,
    )
