"""Public message and record types of the kernel."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    # cycle: typing only; runtime messages carry ActorRefs, whose cells handle these messages.
    from actors._core._ref import ActorRef

__all__ = ["DeadLetter", "Overflow", "Terminated"]


class Overflow(enum.Enum):
    """What a mailbox does with a message that arrives when it is full."""

    BLOCK = "block"
    """``tell`` waits for room (optionally bounded by a timeout); ``tell_nowait`` raises
    ``MailboxFull``."""
    DROP_NEWEST = "drop_newest"
    """The arriving message is dropped and becomes a dead letter (``mailbox_full``)."""
    DROP_OLDEST = "drop_oldest"
    """The oldest queued message is dropped (a dead letter, ``mailbox_full``) to make room."""
    REJECT = "reject"
    """The sender gets ``MailboxFull`` carrying the message."""


@attrs.frozen
class Terminated:
    """Sent to every watcher of an actor once, when that actor has stopped for good.

    It arrives through the system lane, ahead of queued user messages, and is handled by the
    watcher's ``receive``. A restart is not a termination: the ref stays valid.

    ``reason`` says how it ended: ``"stopped"`` (a graceful stop that finished, whoever asked
    for it), ``"killed"`` (``ActorRef.kill``, or its parent was killed), ``"timeout"`` (a
    graceful stop that overran its shutdown time and was cancelled) or, for a remote actor,
    ``"node_lost"`` (its node was declared down: heartbeats missed for the cluster's
    ``heartbeat_timeout``, or the node came back as a new incarnation). Two ``Terminated``
    are equal when their refs are (an actor terminates once), whatever the reason.
    """

    ref: ActorRef
    reason: str = attrs.field(default="stopped", eq=False)


@attrs.frozen
class DeadLetter:
    """A message that was not processed, and why.

    ``reason`` is one of ``stopped`` (sent to, or still queued at, a stopped actor),
    ``mailbox_full`` (dropped by an overflow policy), ``failed`` (its handler raised;
    ``error`` holds the exception), ``timeout`` (still queued or in flight when a
    graceful stop ran out of time) or ``undecodable`` (a frame from another cluster node
    that could not be decoded; ``message`` is the raw ``bytes``, ``error`` the decode error).
    """

    message: Any
    recipient: ActorRef | None
    reason: str
    error: BaseException | None = None
