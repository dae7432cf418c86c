"""What a message that will not be handled becomes: a dead letter, and a failed ask.

A refused message (a stopped actor, a full mailbox, an abandoned handler) is recorded in the
system's dead letters, and the ask waiting for it, if any, fails at once with the error that
says why. These are plain functions over an envelope, used by the cell and the routing
actors alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from actors._core._errors import ActorError, ActorFailed, ActorStopped, MailboxFull

if TYPE_CHECKING:
    # cycle: typing only; refusing names the recipient's ref, envelope and dead letters, whose
    # owners call it.
    from actors._core._dead_letters import DeadLetters
    from actors._core._envelope import Envelope
    from actors._core._ref import ActorRef

__all__ = ["fail_reply", "full_error", "refuse"]


def full_error(envelope: Envelope, path: str, reason: str) -> MailboxFull:
    """The ``MailboxFull`` error for ``envelope`` refused by the full mailbox at ``path``."""
    return MailboxFull(
        reason,
        message=envelope.message,
        path=path,
        correlation_id=envelope.correlation_id,
    )


def refuse(dead_letters: DeadLetters, ref: ActorRef, envelope: Envelope, reason: str) -> None:
    """Dead-letter ``envelope`` (addressed to ``ref``) and fail its ask, if any."""
    dead_letters.record(envelope.message, ref, reason)
    reply = envelope.reply
    if reply is not None and not reply.done():
        path = ref.path
        error: ActorError
        if reason == "mailbox_full":
            error = full_error(envelope, path, "message dropped: mailbox full")
        else:
            error = ActorStopped(
                f"actor stopped before handling the message ({reason})",
                path=path,
                message_type=type(envelope.message).__name__,
                correlation_id=envelope.correlation_id,
            )
        reply.set_exception(error)


def fail_reply(envelope: Envelope, reason: str, cause: BaseException, path: str) -> None:
    """Answer a pending ask with ActorFailed (``cause`` attached), at once."""
    reply = envelope.reply
    if reply is not None and not reply.done():
        error = ActorFailed(
            reason,
            path=path,
            message_type=type(envelope.message).__name__,
            correlation_id=envelope.correlation_id,
        )
        error.__cause__ = cause
        reply.set_exception(error)
